"""Posting drawings and messages to a Slack channel with a bot token, through Slack's current upload flow.

`post` is what `vpcdraw post` runs; `post_summary` is for other commands (`grade --roster --post`,
`account reviewer --post`): a message, then its files in the message's thread. Both check every input before
the first request, and every failure is a `SlackError` whose one sentence never holds the token.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit

from vpcdraw.topology.errors import VpcdrawError

TOKEN_VARIABLE = "SLACK_BOT_TOKEN"
API_URL_VARIABLE = "SLACK_API_URL"
DEFAULT_API_URL = "https://slack.com/api/"
TIMEOUT = 20  # seconds for each request; a dead endpoint fails within two of them (slack_sdk retries once)

_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{8,}")  # public (C), private (G, older ones) and direct (D) channels
_TS = re.compile(r"\d+\.\d+")
_ERROR_CODE = re.compile(r"[a-z][a-z0-9_.]*")  # what Slack puts in "error"; anything else is not Slack's answer
_SCOPES = {"files.getUploadURLExternal": "files:write", "files.completeUploadExternal": "files:write",
           "chat.postMessage": "chat:write", "conversations.list": "channels:read"}
_BAD_TOKEN = {"not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired",
              "not_allowed_token_type"}


class SlackError(VpcdrawError):
    """A post to Slack was refused, or could not be made; the message is one sentence without the token."""


@dataclass(frozen=True)
class PostedFile:
    """One file as Slack took it: its id, and its permalink when Slack's answer gave one."""

    path: Path
    id: str
    permalink: str | None

    def to_json(self) -> dict[str, Any]:
        return {"file": str(self.path), "id": self.id, "permalink": self.permalink}


@dataclass(frozen=True)
class Posted:
    """What a post made: the channel's id, the message's ts (None for files with only a comment), the files."""

    channel: str
    channel_id: str
    message_ts: str | None
    thread: str | None
    files: tuple[PostedFile, ...]

    def to_json(self) -> dict[str, Any]:
        return {"channel": self.channel, "channel_id": self.channel_id, "message_ts": self.message_ts,
                "thread": self.thread, "files": [f.to_json() for f in self.files]}


def post(channel: str, files: Sequence[Path], text: str | None = None, thread: str | None = None, *,
         token: str | None = None, api_url: str | None = None) -> Posted:
    """Upload `files` to `channel` with `text` as their comment, or post `text` alone when there are no files.

    `channel` is an id (C0123ABCDE) or a public channel's name (#class-aws, looked up with conversations.list,
    which needs the scope channels:read). `thread` is the ts of a message to answer in its thread. `token`
    defaults to $SLACK_BOT_TOKEN (scope files:write; chat:write for a message alone) and `api_url` to
    $SLACK_API_URL, else Slack's own. Raises SlackError, before any request when an input is wrong.
    """
    if not files and not (text and text.strip()):
        raise SlackError("nothing to post: give a file, or a message with --text")
    loaded = _read(files)
    _check_channel(channel)
    _check_thread(thread)
    client = _client(token, api_url)
    channel_id = _channel_id(client, channel)
    if not loaded:
        answer = _call(client, "chat.postMessage", channel, channel=channel_id, text=text, thread_ts=thread)
        return Posted(channel, channel_id, str(answer.get("ts")), thread, ())
    return Posted(channel, channel_id, None, thread, _upload(client, channel, channel_id, loaded, text, thread))


def post_summary(channel: str, text: str, files: Sequence[Path] = (), *, token: str | None = None,
                 api_url: str | None = None) -> Posted:
    """Post `text` as a message in `channel`, then `files` (if any) in that message's thread.

    For commands that report to the class channel: `grade --roster --post` (the scores table as text, the
    drawings in the thread), `account reviewer --post` (the sign-in URL and role ARN, no files). Channel, token
    and endpoint as for `post`; the token needs chat:write, and files:write for files. `Posted.message_ts` is
    the message's ts, so a caller can post more in the same thread with `post(..., thread=posted.message_ts)`.

    >>> post_summary("#class-aws", "week 1: 28 of 30 pass", [Path("class/overview.png")])  # doctest: +SKIP
    """
    if not text.strip():
        raise SlackError("the summary to post is empty")
    loaded = _read(files)
    _check_channel(channel)
    client = _client(token, api_url)
    channel_id = _channel_id(client, channel)
    answer = _call(client, "chat.postMessage", channel, channel=channel_id, text=text)
    ts = str(answer.get("ts"))
    uploaded = _upload(client, channel, channel_id, loaded, None, ts) if loaded else ()
    return Posted(channel, channel_id, ts, None, uploaded)


def _read(files: Sequence[Path]) -> list[tuple[Path, bytes]]:
    """Every file's bytes; any existing regular file will do (Slack shows PNG and SVG, and keeps the rest)."""
    loaded = []
    for path in files:
        if path.is_dir():
            raise SlackError(f"{path} is a folder; give the drawing's file, such as {path / 'assignment.png'}")
        if not path.is_file():
            raise SlackError(f"{path} does not exist (make it with: vpcdraw render TOPOLOGY -o {path})")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise SlackError(f"cannot read {path}: {error.strerror or error}") from None
        if not data:
            raise SlackError(f"{path} is empty; Slack takes no empty files")
        loaded.append((path, data))
    return loaded


def check_ready(channel: str, *, token: str | None = None, api_url: str | None = None) -> None:
    """SlackError in one sentence unless a post to `channel` can be tried (a channel, a token, an API URL),
    for commands that post at the end of long work (`grade --roster --post`): checked before that work."""
    _check_channel(channel)
    _client(token, api_url)


def _check_channel(channel: str) -> None:
    if not channel.strip().lstrip("#").strip():
        raise SlackError("no channel: give --channel as a channel's id (C0123ABCDE) or name (#class-aws)")


def _check_thread(thread: str | None) -> None:
    if thread is not None and not _TS.fullmatch(thread):
        raise SlackError(f"--thread takes a message's ts, such as 1712345678.000100, not '{thread}'")


def _client(token: str | None, api_url: str | None) -> Any:
    """A slack_sdk WebClient for the token and endpoint, with its logging kept quiet (it would print errors)."""
    token = (token if token is not None else os.environ.get(TOKEN_VARIABLE, "")).strip()
    if not token:
        raise SlackError(f"no Slack token: set {TOKEN_VARIABLE} to the app's bot token (xoxb-..., scope "
                         "files:write, and chat:write for a message)")
    if not token.isascii() or not token.isprintable() or " " in token:
        raise SlackError(f"{TOKEN_VARIABLE} holds characters no Slack token has; copy the bot token again")
    url = (api_url or os.environ.get(API_URL_VARIABLE) or DEFAULT_API_URL).strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SlackError(f"the Slack API URL must be http:// or https://, such as {DEFAULT_API_URL}, not '{url}'")
    from slack_sdk import WebClient

    logger = logging.getLogger("vpcdraw.slack")
    logger.propagate = False  # slack_sdk logs failed requests at ERROR; the SlackError says it once
    logger.setLevel(logging.CRITICAL)
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
    return WebClient(token=token, base_url=url.rstrip("/") + "/", timeout=TIMEOUT, logger=logger)


def _channel_id(client: Any, channel: str) -> str:
    """The id of a channel given by id or by name; a name is looked up among the public channels."""
    given = channel.strip()
    if _CHANNEL_ID.fullmatch(given):
        return given
    name = given.lstrip("#").strip().lower()
    cursor = None
    while True:
        page = _call(client, "conversations.list", channel, types="public_channel", exclude_archived=True,
                     limit=1000, cursor=cursor)
        for found in page.get("channels") or []:
            if isinstance(found, dict) and found.get("name") == name and found.get("id"):
                return str(found["id"])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            raise SlackError(f"Slack has no public channel #{name}; check the name, or give the channel's id "
                             "(in Slack: the channel's name > About, at the bottom), which private channels need")


def _upload(client: Any, channel: str, channel_id: str, loaded: list[tuple[Path, bytes]], text: str | None,
            thread: str | None) -> tuple[PostedFile, ...]:
    """files_upload_v2: files.getUploadURLExternal per file, the uploads, one files.completeUploadExternal."""
    uploads = [{"content": data, "filename": path.name, "title": path.name} for path, data in loaded]
    answer = _call(client, "files.completeUploadExternal", channel, file_uploads=uploads, channel=channel_id,
                   initial_comment=text or None, thread_ts=thread)
    given = answer.get("files") or []
    posted = []
    for (path, _), found in zip(loaded, given, strict=False):
        permalink = found.get("permalink") if isinstance(found, dict) else None
        posted.append(PostedFile(path, str(found.get("id")) if isinstance(found, dict) else "?",
                                 str(permalink) if permalink else None))
    return tuple(posted)


def _call(client: Any, method: str, shown: str, /, **arguments: Any) -> Any:
    """Call one Slack method with `arguments`; its answer, or a SlackError that says in one sentence what went
    wrong and what to do, naming the channel as the user gave it (`shown`). files.completeUploadExternal stands
    for the whole files_upload_v2 flow."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    run = {"chat.postMessage": client.chat_postMessage, "conversations.list": client.conversations_list,
           "files.completeUploadExternal": client.files_upload_v2}[method]
    arguments = {k: v for k, v in arguments.items() if v is not None}
    where = client.base_url
    try:
        return run(**arguments)
    except SlackApiError as error:
        raise SlackError(_refusal(error.response, method, shown, where)) from None
    except (SlackClientError, HTTPError) as error:  # the upload itself (slack_sdk's API calls keep HTTPError)
        status = f"HTTP {error.code}" if isinstance(error, HTTPError) else "an error"
        raise SlackError(f"Slack did not take the upload (the upload URL it gave answered with {status}); try "
                         f"again, and check {API_URL_VARIABLE} / --slack-api-url if set") from None
    except TimeoutError:
        raise SlackError(f"no answer from {where} within {TIMEOUT} seconds; check the network or "
                         f"{API_URL_VARIABLE} / --slack-api-url") from None
    except OSError as error:  # urllib's URLError: refused, unknown host, TLS
        reason = getattr(error, "reason", None) or error.strerror or error
        raise SlackError(f"could not reach Slack at {where} ({_strip(reason)}); check the network or "
                         f"{API_URL_VARIABLE} / --slack-api-url") from None
    except (TypeError, KeyError, AttributeError, ValueError):  # ok: true, but not the fields Slack sends
        raise SlackError(f"{where} answered {method} without the fields Slack sends; is it a Slack API "
                         f"endpoint? (check {API_URL_VARIABLE} / --slack-api-url)") from None


def _refusal(response: Any, method: str, channel: str, where: str) -> str:
    """The sentence for an answer with "ok": false (or one that is not Slack's JSON at all)."""
    data = response.data if isinstance(response.data, dict) else {}
    code = str(data.get("error") or "")
    called = str(getattr(response, "api_url", "")).split("?")[0].rsplit("/", 1)[-1] or method
    status = getattr(response, "status_code", "?")
    if not _ERROR_CODE.fullmatch(code):
        return (f"{where} did not answer {called} as the Slack API does (HTTP {status}, not Slack's JSON); "
                f"check {API_URL_VARIABLE} / --slack-api-url")
    if code in _BAD_TOKEN:
        return (f"Slack refused the token in {TOKEN_VARIABLE} ({code}); use the bot token (xoxb-...) of an app "
                "installed in the workspace")
    if code == "channel_not_found":
        return (f"Slack has no channel {channel} that the bot can see; check the name or id, and for a private "
                "channel invite the bot first with /invite @your-bot")
    if code == "not_in_channel":
        return f"the bot is not in {channel}; invite it there with /invite @your-bot, then post again"
    if code == "missing_scope":
        needed = str(data.get("needed") or _SCOPES.get(called, "files:write"))
        return (f"the bot token lacks the scope {needed} that {called} needs; add it under OAuth & Permissions, "
                "reinstall the app, and post again")
    if code == "ratelimited":
        wait = response.headers.get("Retry-After", "a few") if hasattr(response, "headers") else "a few"
        return f"Slack is rate limiting this app; try again in {wait} seconds"
    return f"Slack refused {called} ({code})"


def _strip(reason: object) -> str:
    """An OS error's reason as a short phrase (`[Errno 111] Connection refused` -> `Connection refused`)."""
    return re.sub(r"^\[Errno -?\d+\]\s*", "", str(reason)).strip() or "no reason given"
