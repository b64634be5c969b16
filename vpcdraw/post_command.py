"""The `vpcdraw post` command: drawings (or a message) to the class's Slack channel."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

EPILOG = """\
The bot token comes from SLACK_BOT_TOKEN (never from the command line, so it stays out of shell history);
it needs the scope files:write, chat:write for a message without files, and channels:read to find a
channel by its name. A private channel: invite the bot (/invite @your-bot) and give the channel's id
(in Slack: the channel's name > About, at the bottom).

  vpcdraw render assignment.py -o assignment.png --my-ip 203.0.113.10
  SLACK_BOT_TOKEN=xoxb-... vpcdraw post assignment.png --channel '#class-aws' --text 'week 1, Kim'"""


def add_post_command(commands: Any) -> None:
    """Add post to the parser's subcommands."""
    post = commands.add_parser(
        "post", help="post drawings (or a message) to a Slack channel",
        description="Upload drawings to a Slack channel through Slack's current upload flow, with --text as "
                    "their comment; with no FILE, post --text as a message. One line per file: its permalink, "
                    "else its id.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    post.add_argument("files", nargs="*", type=Path, metavar="FILE",
                      help="a file to upload (a drawing: .png, .svg, .drawio; any existing file will do)")
    post.add_argument("--channel", required=True,
                      help="the channel's id (C0123ABCDE) or a public channel's name (#class-aws)")
    post.add_argument("--text", help="the comment on the files, or the message when there is no FILE")
    post.add_argument("--thread", metavar="TS", help="post in the thread of this message (its ts, 1712345678.000100)")
    post.add_argument("--slack-api-url", metavar="URL",
                      help="a Slack-compatible API endpoint (default: $SLACK_API_URL, else https://slack.com/api/)")
    post.add_argument("--json", action="store_true",
                      help='print {"channel", "channel_id", "message_ts", "thread", "files"} and nothing else')
    post.set_defaults(run=_post)


def _post(args: argparse.Namespace) -> int:
    from .slack import post

    posted = post(args.channel, args.files, args.text, args.thread, api_url=args.slack_api_url)
    if args.json:
        print(json.dumps(posted.to_json(), indent=2, ensure_ascii=False))
        return 0
    for file in posted.files:
        print(f"posted {file.path} to {args.channel}: {file.permalink or file.id}")
    if not posted.files:
        print(f"posted the message to {args.channel} (ts {posted.message_ts}, for --thread)")
    return 0
