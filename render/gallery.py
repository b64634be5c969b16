"""The class gallery: one self-contained index.html with a card per student (drawing, score, failed requirements).

Self-contained means it opens from the folder with no network: drawings are embedded as data: URIs, the CSS is
inline, and there is no script. Every text that comes from an account (Name tags, evidence) is HTML-escaped.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from vpcdraw.topology.analysis.grade import Item
from vpcdraw.topology.words import plural


@dataclass(frozen=True)
class Card:
    """One student's card: who, where, the score, what failed, or why their account could not be graded."""

    student: str
    account: str | None = None
    vpc: str | None = None  # the VPC id, and its Name tag when it has one
    score: tuple[int, int] | None = None  # passed, total; None when the account could not be graded
    failed: tuple[Item, ...] = ()
    error: str | None = None
    drawing: bytes | None = None  # the graded drawing as PNG

    @property
    def verdict(self) -> str:
        """pass, fail or error: the card's colour."""
        if self.score is None:
            return "error"
        return "pass" if self.score[0] == self.score[1] else "fail"


STYLE = """
body { font-family: "NanumGothic", "Noto Sans CJK KR", "Apple SD Gothic Neo", "Malgun Gothic", sans-serif;
       margin: 1.5rem; background: #f4f5f7; color: #1d1d1f; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
.summary { margin: 0 0 1.2rem; color: #444; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(400px, 1fr)); gap: 1rem; align-items: start; }
.card { background: #fff; border-radius: 8px; border-top: 6px solid #888; padding: .8rem 1rem;
        box-shadow: 0 1px 3px rgba(0, 0, 0, .15); overflow-wrap: anywhere; }
.card.pass { border-top-color: #2e7d32; } .card.fail { border-top-color: #e6a700; }
.card.error { border-top-color: #c62828; }
.card h2 { display: flex; justify-content: space-between; font-size: 1.15rem; margin: 0 0 .2rem; }
.score { font-variant-numeric: tabular-nums; }
.meta { font-size: .8rem; color: #666; margin: 0 0 .5rem; }
.card img { display: block; width: 100%; max-height: 420px; object-fit: contain; background: #fff; }
.failed { margin: .6rem 0 0; padding-left: 1.1rem; font-size: .9rem; }
.failed li { margin-bottom: .4rem; } .failed .en { color: #333; } .failed .evidence { color: #777; font-size: .8rem; }
.ok { color: #2e7d32; margin: .6rem 0 0; } .problem { color: #c62828; margin: .6rem 0 0; }
"""


def gallery(cards: Sequence[Card], title: str) -> str:
    """The gallery page, cards sorted by student.

    >>> page = gallery([Card("<kim>", score=(2, 3))], "week1")
    >>> "&lt;kim&gt;" in page and "<kim>" not in page and page.count('class="card ') == 1
    True
    """
    ordered = sorted(cards, key=lambda c: c.student)
    counts = {v: sum(1 for c in ordered if c.verdict == v) for v in ("pass", "fail", "error")}
    summary = (f"{plural(len(ordered), 'student')}: {counts['pass']} passed everything, "
               f"{counts['fail']} failed something, {counts['error']} could not be graded")
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="ko">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<h1>{escape(title)}</h1>", f'<p class="summary">{escape(summary)}</p>', '<main class="cards">',
        *(_card(card) for card in ordered), "</main>", "</body>", "</html>", ""])


def _card(card: Card) -> str:
    """One card's HTML."""
    score = f"{card.score[0]}/{card.score[1]}" if card.score else "not graded"
    meta = " · ".join(part for part in (card.account and f"account {card.account}", card.vpc) if part)
    parts = [f'<section class="card {card.verdict}" data-student="{escape(card.student)}">',
             f'<h2><span class="student">{escape(card.student)}</span> <span class="score">{escape(score)}</span></h2>']
    if meta:
        parts.append(f'<p class="meta">{escape(meta)}</p>')
    if card.drawing:
        picture = base64.b64encode(card.drawing).decode("ascii")
        parts.append(f'<img alt="{escape(card.student)}: graded drawing" src="data:image/png;base64,{picture}">')
    if card.error:
        parts.append(f'<p class="problem">{escape(card.error)}</p>')
    if card.failed:
        parts.append('<ul class="failed">')
        parts += [f'<li><div class="ko">{escape(i.ko)}</div><div class="en">{escape(i.en)}</div>'
                  f'<div class="evidence">{escape(i.evidence)}</div></li>' for i in card.failed]
        parts.append("</ul>")
    elif card.score is not None:
        parts.append('<p class="ok">모든 요구 사항 통과 / every requirement passed</p>')
    parts.append("</section>")
    return "\n".join(parts)
