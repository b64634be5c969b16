"""`grade --roster`: grade a class from a roster CSV into a folder of drawings, grades.csv, grades.json, a gallery."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.words import plural

from .colour import paint

if TYPE_CHECKING:
    from vpcdraw.deploy.roster import StudentGrade
    from vpcdraw.render.gallery import Card
    from vpcdraw.topology.analysis.grade import Rubric

ROSTER_PARALLELISM = 8  # students graded at once; each one's read is itself a parallel round trip


def add_roster_options(grade: argparse.ArgumentParser) -> None:
    """Add --roster and --parallelism to the grade command (-o then names the output folder)."""
    grade.add_argument("--roster", type=Path, metavar="FILE",
                       help="grade a class: a CSV with the header student,role_arn,external_id,profile,region,vpc_id "
                            "(each row a role_arn or a profile); -o is then the folder for grades.csv, grades.json, "
                            "index.html (a gallery) and one <student>.png each. Exit 0 all pass, 2 someone fails, "
                            "1 some account could not be graded")
    grade.add_argument("--post", metavar="CHANNEL",
                       help="with --roster: post the scores table to this Slack channel, and each student's "
                            "drawing in its thread (token in SLACK_BOT_TOKEN: chat:write, files:write)")
    grade.add_argument("--parallelism", type=int, default=ROSTER_PARALLELISM, metavar="N",
                       help=f"with --roster: students graded at once (default {ROSTER_PARALLELISM})")


def run_roster(args: argparse.Namespace) -> int:
    """Grade every student of args.roster into the folder args.output; the exit code as `grade` has it."""
    from vpcdraw.deploy.roster import RosterError, connector, grade_roster, read_roster
    from vpcdraw.topology.analysis.grade import load_rubric

    folder = _output_folder(args)
    if args.post:
        from .slack import check_ready

        check_ready(args.post)  # before thirty accounts are read, not after
    try:
        students = read_roster(args.roster)
    except RosterError as error:
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        raise
    rubric = load_rubric(args.rubric)
    results = grade_roster(students, rubric, connector(args.region, args.profile, _local_endpoint(args)),
                           parallelism=args.parallelism,
                           then=lambda result: _draw(result, folder, args.detail), progress=_progress)
    _write_outputs(folder, rubric, results)
    if args.json:
        print(json.dumps(_document(rubric, results), indent=2, ensure_ascii=False))
    else:
        print("\n".join(_table(results, paint)))
    if args.post:
        _post(args.post, results, folder)
    bug = next((r.bug for r in results if r.bug is not None), None)
    if bug is not None:  # the class is written; now the bug is reported as one (exit 70, with its traceback)
        raise bug
    if any(r.error for r in results):
        return 1
    return 0 if all(r.passed for r in results) else 2


def _local_endpoint(args: argparse.Namespace) -> str | None:
    """With --local (or VPCDRAW_LOCAL=1): vpcdraw's own local AWS, started when needed, where every row is an
    account reached by its role."""
    from vpcdraw.deploy import local
    from vpcdraw.deploy.workflow import wants_local

    return local.start().endpoint if wants_local(args.local) else None


def _output_folder(args: argparse.Namespace) -> Path:
    """The folder -o names, checked before any account is read; the options a class cannot take refused."""
    for option, given in (("--vpc-id", args.vpc_id), ("--my-ip", args.my_ip)):
        if given:
            raise VpcdrawError(f"{option} is for one account; with --roster each row says how to reach its "
                               "student (a vpc_id column too)")
    if args.output is None:
        raise VpcdrawError("--roster needs -o FOLDER, where grades.csv, grades.json, index.html and the drawings go")
    folder = Path(args.output)
    if folder.exists() and not folder.is_dir():
        raise VpcdrawError(f"-o {folder} is a file; with --roster it names a folder")
    return folder


def _draw(result: StudentGrade, folder: Path, detail: str) -> StudentGrade:
    """The graded drawing of one student as <folder>/<student>.png (nothing for an account not graded)."""
    if result.grade is None or result.grade.topology is None:
        return result
    from vpcdraw.render import render

    from .overlays import grade_overlay

    drawing = render(result.grade.topology, folder / f"{result.student.name}.png", overlay=grade_overlay(result.grade),
                     detail=detail)
    return replace(result, drawing=drawing.path)


def _progress(result: StudentGrade, done: int, total: int) -> None:
    print(f"graded {done}/{total}: {result.student.name} ({_outcome(result)})", file=sys.stderr, flush=True)


def _outcome(result: StudentGrade) -> str:
    """A student's score as 7/9, or why there is none."""
    if result.grade is None:
        return f"not graded: {result.error}"
    passed, total = result.grade.score
    return f"{passed}/{total}" + (f"; {result.error}" if result.error else "")


def _write_outputs(folder: Path, rubric: Rubric, results: list[StudentGrade]) -> None:
    from vpcdraw.render.gallery import gallery
    from vpcdraw.topology.files import write

    write(folder / "grades.csv", _csv(rubric, results), "the grades")
    write(folder / "grades.json", json.dumps(_document(rubric, results), indent=2, ensure_ascii=False) + "\n",
          "the grades")
    page = gallery([_card(r) for r in results], f"{rubric.name}: {plural(len(results), 'student')}")
    print(f"wrote {write(folder / 'index.html', page, 'the gallery')}", file=sys.stderr)


def _csv(rubric: Rubric, results: list[StudentGrade]) -> str:
    """grades.csv: student, account, VPC, score, pass / fail per requirement, and why an account was not graded."""
    ids = [r.id for r in rubric.requirements]
    text = io.StringIO()
    rows = csv.writer(text, lineterminator="\n")
    rows.writerow(["student", "account", "vpc_id", "score", *ids, "error"])
    for result in results:
        verdicts = {i.id: "pass" if i.passed else "fail" for i in (result.grade.items if result.grade else [])}
        score = "{}/{}".format(*result.grade.score) if result.grade else ""
        rows.writerow([result.student.name, result.account or "", result.vpc_id or "", score,
                       *(verdicts.get(i, "") for i in ids), result.error or ""])
    return text.getvalue()


def _document(rubric: Rubric, results: list[StudentGrade]) -> dict[str, object]:
    """grades.json: the CSV's facts plus each requirement's words and evidence."""
    return {"rubric": rubric.name,
            "requirements": [{"id": r.id, "ko": r.ko, "en": r.en} for r in rubric.requirements],
            "all_passed": all(r.passed for r in results),
            "students": [r.to_json() for r in results]}


def _card(result: StudentGrade) -> Card:
    from vpcdraw.render.gallery import Card

    vpc = f"{result.vpc_id} ({result.vpc_name})" if result.vpc_id and result.vpc_name else result.vpc_id
    failed = tuple(i for i in result.grade.items if not i.passed) if result.grade else ()
    return Card(result.student.name, result.account, vpc, result.grade.score if result.grade else None, failed,
                result.error, result.drawing.read_bytes() if result.drawing else None)


def _post(channel: str, results: list[StudentGrade], folder: Path) -> None:
    """The scores table to the class channel, then each graded drawing in its thread."""
    from .slack import post_summary

    drawings = [r.drawing for r in results if r.drawing is not None]
    text = "\n".join(["```", *_table(results, lambda text, tone: text), "```"])
    posted = post_summary(channel, text, drawings)
    print(f"posted the scores to {channel} ({posted.message_ts}), with {len(posted.files)} drawings in its thread",
          file=sys.stderr)


def _table(results: list[StudentGrade], tone: Callable[[str, str], str]) -> list[str]:
    """Students and scores, one line each, with what failed or why an account was not graded."""
    width = max([len("student"), *(_width(r.student.name) for r in results)])
    lines = [f"{_pad('student', width)}  score  failed"]
    for result in results:
        if result.grade is None:
            score, rest = tone("ERROR", "fail"), result.error or ""
        else:
            passed, total = result.grade.score
            score = tone(f"{passed}/{total}".ljust(5), "pass" if result.passed else "fail")
            failed = ", ".join(i.id for i in result.grade.items if not i.passed) or "-"
            rest = failed + (f" ({result.error})" if result.error else "")
        lines.append(f"{_pad(result.student.name, width)}  {score}  {rest}")
    graded = [r for r in results if r.grade is not None]
    lines.append(f"{plural(len(results), 'student')}: {sum(r.passed for r in results)} passed everything, "
                 f"{len(graded) - sum(r.passed for r in graded)} failed something, "
                 f"{len(results) - len(graded)} not graded")
    return lines


def _width(text: str) -> int:
    """How many terminal columns `text` takes (Hangul takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
