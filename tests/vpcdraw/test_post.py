"""`vpcdraw post` against a local fake Slack: the upload flow in order with the drawing's bytes, channel and comment,
and every failure as one sentence, exit 1, with the token in no output."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from vpcdraw.slack import SlackError, post_summary

TOKEN = "xoxb-1234-5678-SeCrEtTokenForTests"
CHANNEL_ID = "C0CLASSAWS1"
TS = "1712345678.000100"


@dataclass
class Call:
    """One request the fake Slack received: the method (or "upload"), its fields, the raw body, its token."""

    method: str
    fields: dict[str, Any]
    body: bytes
    authorization: str | None


@dataclass
class FakeSlack:
    """A Slack-compatible endpoint on 127.0.0.1: what it received, and how it should answer."""

    url: str = ""
    calls: list[Call] = field(default_factory=list)
    refuse: dict[str, Any] | None = None  # answer every API method with this ({"ok": false, ...})
    html: bool = False  # answer like a web server that is not Slack's API
    upload_status: int = 200

    @property
    def methods(self) -> list[str]:
        return [c.method for c in self.calls]

    def call(self, method: str) -> Call:
        return next(c for c in self.calls if c.method == method)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        method = "upload" if path.startswith("/upload/") else path.rsplit("/", 1)[-1]
        kind = self.headers.get("Content-Type") or ""
        fields: dict[str, Any] = {}
        if method != "upload":
            fields = json.loads(body) if "json" in kind else dict(parse_qsl(body.decode()))
        self.fake.calls.append(Call(method, fields, body, self.headers.get("Authorization")))
        if self.fake.html:
            return self._answer(b"<!DOCTYPE html><html><body>Welcome to nginx!</body></html>", "text/html")
        if method == "upload":
            return self._answer(f"OK - {len(body)}".encode(), "text/plain", self.fake.upload_status)
        answer = self.fake.refuse or self._ok(method, fields)
        self._answer(json.dumps(answer).encode(), "application/json")

    def _ok(self, method: str, fields: dict[str, Any]) -> dict[str, Any]:
        uploads = sum(1 for c in self.fake.calls if c.method == "files.getUploadURLExternal")
        if method == "files.getUploadURLExternal":
            return {"ok": True, "file_id": f"F000{uploads}", "upload_url": f"{self.fake.url}/upload/F000{uploads}"}
        if method == "files.completeUploadExternal":
            return {"ok": True, "files": [{"id": f["id"], "title": f["title"], "permalink":
                                           f"https://class.slack.com/files/U1/{f['id']}/{f['title']}"}
                                          for f in json.loads(fields["files"])]}
        if method == "chat.postMessage":
            return {"ok": True, "channel": fields["channel"], "ts": TS}
        if method == "conversations.list":
            return {"ok": True, "channels": [{"id": "C0GENERAL01", "name": "general"},
                                             {"id": CHANNEL_ID, "name": "class-aws"}],
                    "response_metadata": {"next_cursor": ""}}
        return {"ok": True}  # auth.test, should slack_sdk ever call it

    def _answer(self, body: bytes, kind: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def fake_slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """A fake Slack on a random port, the bot token set, and no proxy between (slack_sdk reads HTTPS_PROXY)."""
    fake = FakeSlack()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "SLACK_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_BOT_TOKEN", TOKEN)
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    yield from fake_slack(monkeypatch)


@pytest.fixture(scope="module")
def png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real drawing: the course assignment rendered by `vpcdraw render`."""
    folder = tmp_path_factory.mktemp("drawing")
    source = folder / "assignment.py"
    source.write_text(_vpcdraw("example", "assignment").stdout, encoding="utf-8")
    _vpcdraw("render", source, "-o", folder / "assignment.png", "--my-ip", "203.0.113.10")
    return folder / "assignment.png"


def _vpcdraw(*args: str | Path, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and not k.startswith("SLACK_")}
    done = subprocess.run([sys.executable, "-m", "vpcdraw", *map(str, args)], capture_output=True, text=True,
                          env={**env, **environment}, timeout=60)
    assert TOKEN not in done.stdout + done.stderr
    return done


@pytest.fixture
def post(cli, slack):
    """Run `vpcdraw post` in this process against the fake Slack; the token may appear in no output."""

    def run(*args: str | Path):
        result = cli("post", *args, "--slack-api-url", f"{slack.url}/api")  # no trailing "/": normalised
        assert TOKEN not in result.out + result.err
        return result

    return run


def _one_sentence(result) -> str:
    """A user's error: exit 1 (never 70), nothing on stdout, one line on stderr; that line."""
    assert result.code == 1, result.err
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("vpcdraw: error: "), result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    return lines[0].removeprefix("vpcdraw: error: ")


def test_post_uploads_the_drawing_in_slacks_three_steps(post, slack, png):
    result = post(png, "--channel", CHANNEL_ID, "--text", "week 1: Kim Minji")
    assert result.code == 0, result.err
    assert slack.methods == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    data = png.read_bytes()
    asked = slack.call("files.getUploadURLExternal")
    assert asked.fields["filename"] == "assignment.png" and asked.fields["length"] == str(len(data))
    assert slack.call("upload").body == data
    done = slack.call("files.completeUploadExternal").fields
    assert done["channel_id"] == CHANNEL_ID
    assert done["initial_comment"] == "week 1: Kim Minji"
    assert json.loads(done["files"]) == [{"id": "F0001", "title": "assignment.png"}]
    assert "thread_ts" not in done
    assert asked.authorization == f"Bearer {TOKEN}"  # the token reaches Slack's API ...
    assert slack.call("upload").authorization is None  # ... and not the upload URL
    assert result.out == f"posted {png} to {CHANNEL_ID}: https://class.slack.com/files/U1/F0001/assignment.png\n"
    assert result.err == ""


def test_a_channel_name_is_looked_up_and_a_thread_answered(cli, slack, png, monkeypatch):
    monkeypatch.setenv("SLACK_API_URL", f"{slack.url}/api/")
    result = cli("post", png, png, "--channel", "#class-aws", "--thread", TS, "--json")
    assert result.code == 0, result.err
    assert slack.methods == ["conversations.list", "files.getUploadURLExternal", "files.getUploadURLExternal",
                             "upload", "upload", "files.completeUploadExternal"]
    done = slack.call("files.completeUploadExternal").fields
    assert done["channel_id"] == CHANNEL_ID and done["thread_ts"] == TS and "initial_comment" not in done
    printed = json.loads(result.out)
    assert printed["channel_id"] == CHANNEL_ID and printed["thread"] == TS
    assert [f["id"] for f in printed["files"]] == ["F0001", "F0002"]


def test_an_unknown_channel_name_is_one_sentence(post, slack, png):
    message = _one_sentence(post(png, "--channel", "class-gcp"))
    assert message.startswith("Slack has no public channel #class-gcp; check the name, or give the channel's id")
    assert slack.methods == ["conversations.list"]


def test_a_message_without_files_is_chat_post_message(post, slack):
    result = post("--channel", CHANNEL_ID, "--text", "sign-in: https://123456789012.signin.aws.amazon.com/console",
                  "--thread", TS)
    assert result.code == 0, result.err
    assert slack.methods == ["chat.postMessage"]
    sent = slack.call("chat.postMessage").fields
    assert sent == {"channel": CHANNEL_ID, "text": "sign-in: https://123456789012.signin.aws.amazon.com/console",
                    "thread_ts": TS}
    assert result.out == f"posted the message to {CHANNEL_ID} (ts {TS}, for --thread)\n"


def test_post_summary_puts_the_files_in_the_messages_thread(slack, png):
    posted = post_summary("#class-aws", "week 1: 28 of 30 pass", [png], api_url=f"{slack.url}/api")
    assert slack.methods == ["conversations.list", "chat.postMessage", "files.getUploadURLExternal", "upload",
                             "files.completeUploadExternal"]
    assert slack.call("chat.postMessage").fields == {"channel": CHANNEL_ID, "text": "week 1: 28 of 30 pass"}
    done = slack.call("files.completeUploadExternal").fields
    assert done["thread_ts"] == TS and done["channel_id"] == CHANNEL_ID and "initial_comment" not in done
    assert slack.call("upload").body == png.read_bytes()
    assert posted.message_ts == TS and [f.id for f in posted.files] == ["F0001"]


def test_post_summary_without_files_is_one_message(slack):
    posted = post_summary(CHANNEL_ID, "role: arn:aws:iam::123456789012:role/vpcdraw-reviewer",
                          api_url=f"{slack.url}/api")
    assert slack.methods == ["chat.postMessage"] and posted.files == () and posted.message_ts == TS


@pytest.mark.parametrize(("answer", "says"), [
    ({"ok": False, "error": "invalid_auth"},
     "Slack refused the token in SLACK_BOT_TOKEN (invalid_auth); use the bot token (xoxb-...) of an app installed"),
    ({"ok": False, "error": "not_authed"}, "Slack refused the token in SLACK_BOT_TOKEN (not_authed)"),
    ({"ok": False, "error": "channel_not_found"}, f"Slack has no channel {CHANNEL_ID} that the bot can see"),
    ({"ok": False, "error": "not_in_channel"},
     f"the bot is not in {CHANNEL_ID}; invite it there with /invite @your-bot, then post again"),
    ({"ok": False, "error": "missing_scope", "needed": "files:write", "provided": "chat:write"},
     "the bot token lacks the scope files:write that files.getUploadURLExternal needs"),
    ({"ok": False, "error": "fatal_error"}, "Slack refused files.getUploadURLExternal (fatal_error)"),
])
def test_a_refusal_is_one_sentence(post, slack, png, answer, says):
    slack.refuse = answer
    assert _one_sentence(post(png, "--channel", CHANNEL_ID)).startswith(says)
    assert slack.methods == ["files.getUploadURLExternal"]  # nothing after the refusal


def test_a_bad_token_from_the_real_command_line(slack, png):
    slack.refuse = {"ok": False, "error": "invalid_auth"}
    done = _vpcdraw("post", png, "--channel", CHANNEL_ID, "--text", "hi", "--slack-api-url", slack.url + "/api",
                    SLACK_BOT_TOKEN=TOKEN)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("vpcdraw: error: Slack refused the token in SLACK_BOT_TOKEN (invalid_auth)")
    assert len(done.stderr.splitlines()) == 1
    assert slack.call("files.getUploadURLExternal").authorization == f"Bearer {TOKEN}"


def test_the_real_command_line_posts(slack, png):
    done = _vpcdraw("post", png, "--channel", CHANNEL_ID, "--slack-api-url", slack.url, SLACK_BOT_TOKEN=TOKEN)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"posted {png} to {CHANNEL_ID}: https://class.slack.com/files/U1/F0001/assignment.png\n"
    assert slack.call("upload").body == png.read_bytes()


def test_an_html_answer_is_one_sentence(post, slack, png):
    slack.html = True
    message = _one_sentence(post(png, "--channel", CHANNEL_ID))
    assert message == (f"{slack.url}/api/ did not answer files.getUploadURLExternal as the Slack API does "
                       "(HTTP 200, not Slack's JSON); check SLACK_API_URL / --slack-api-url")


@pytest.mark.parametrize("token", [None, "", "  "])
def test_no_token_is_one_sentence_and_no_request(post, slack, png, monkeypatch, token):
    if token is None:
        monkeypatch.delenv("SLACK_BOT_TOKEN")
    else:
        monkeypatch.setenv("SLACK_BOT_TOKEN", token)
    message = _one_sentence(post(png, "--channel", CHANNEL_ID))
    assert message.startswith("no Slack token: set SLACK_BOT_TOKEN to the app's bot token (xoxb-..., scope files:write")
    assert slack.calls == []


def test_bad_input_is_refused_before_any_request(post, slack, png, tmp_path):
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    cases = {
        (str(tmp_path / "missing.png"), "--channel", CHANNEL_ID): f"{tmp_path / 'missing.png'} does not exist",
        (str(tmp_path), "--channel", CHANNEL_ID): f"{tmp_path} is a folder; give the drawing's file",
        (str(empty), "--channel", CHANNEL_ID): f"{empty} is empty; Slack takes no empty files",
        (str(png), "--channel", ""): "no channel: give --channel as a channel's id (C0123ABCDE) or name (#class-aws)",
        (str(png), "--channel", "#"): "no channel:",
        ("--channel", CHANNEL_ID): "nothing to post: give a file, or a message with --text",
        (str(png), "--channel", CHANNEL_ID, "--thread", "yesterday"): "--thread takes a message's ts",
    }
    for args, says in cases.items():
        assert _one_sentence(post(*args)).startswith(says), args
    assert slack.calls == []


def test_a_bad_api_url_is_refused_before_any_request(cli, slack, png):
    result = cli("post", png, "--channel", CHANNEL_ID, "--slack-api-url", "slack.com/api")
    assert _one_sentence(result) == ("the Slack API URL must be http:// or https://, such as https://slack.com/api/, "
                                     "not 'slack.com/api'")


def test_a_closed_port_is_one_sentence_within_seconds(cli, slack, png):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    started = time.monotonic()
    result = cli("post", png, "--channel", CHANNEL_ID, "--slack-api-url", f"http://127.0.0.1:{port}/api/")
    assert time.monotonic() - started < 10
    assert _one_sentence(result) == (f"could not reach Slack at http://127.0.0.1:{port}/api/ (Connection refused); "
                                     "check the network or SLACK_API_URL / --slack-api-url")
    assert TOKEN not in result.err


def test_an_endpoint_that_never_answers_times_out(cli, slack, png, monkeypatch):
    monkeypatch.setattr("vpcdraw.slack.TIMEOUT", 2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections are taken by the kernel and never answered
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api/"
        started = time.monotonic()
        result = cli("post", png, "--channel", CHANNEL_ID, "--slack-api-url", url)
        assert time.monotonic() - started < 10
    assert _one_sentence(result) == f"no answer from {url} within 2 seconds; check the network or SLACK_API_URL / " \
                                    "--slack-api-url"


def test_a_refused_upload_is_one_sentence(post, slack, png):
    slack.upload_status = 500
    assert _one_sentence(post(png, "--channel", CHANNEL_ID)).startswith(
        "Slack did not take the upload (the upload URL it gave answered with HTTP 500); try again")
    assert slack.methods == ["files.getUploadURLExternal", "upload"]


def test_the_library_raises_vpcdraw_errors(slack):
    with pytest.raises(SlackError, match="the summary to post is empty"):
        post_summary(CHANNEL_ID, " ", api_url=slack.url)
    assert slack.calls == []


def test_help_text(capsys):
    from vpcdraw.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["post", "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    assert "SLACK_BOT_TOKEN" in text and "channels:read" in text and "C0123ABCDE" in text
