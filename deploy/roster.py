"""Grading a whole class: the roster CSV read into typed rows, every student graded in parallel, typed results.

A roster row names a student and how to reach their account: a role to assume (`role_arn`, with an optional
`external_id`) or a profile of the reviewer's AWS configuration; `region` and `vpc_id` are optional. The whole
file is checked before any AWS call (`read_roster`), and one student whose account cannot be graded does not
stop the others: their result says why in one sentence.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vpcdraw.topology.analysis.grade import Grade, Rubric, grade
from vpcdraw.topology.errors import VpcdrawError

from .aws import Ec2, check_external_id, check_role_arn, configuration
from .local import LOCAL_REGION
from .tags import tags_of
from .translate import find_vpc, read_vpcs

COLUMNS = ("student", "role_arn", "external_id", "profile", "region", "vpc_id")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
_VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}")
_NOT_IN_FILE_NAMES = set('/\\<>:"|?*')  # path separators, and what Windows refuses when the folder is copied there


class RosterError(VpcdrawError):
    """A roster file with problems; `problems` has one sentence per bad row (or about the header)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        count = len(problems)
        super().__init__(f"{source} has {count} problem{'s' if count != 1 else ''}; no account was read")


@dataclass(frozen=True)
class Student:
    """One roster row: who the student is and how to reach their account."""

    name: str
    line: int  # the row's line in the file, for messages
    role_arn: str | None = None
    external_id: str | None = None
    profile: str | None = None
    region: str | None = None
    vpc_id: str | None = None


@dataclass(frozen=True)
class StudentGrade:
    """What grading one student gave: the grade, or the one sentence saying why their account could not be graded.

    `bug` is the exception when the cause was an unexpected one (a bug in vpcdraw, not in the account), kept with
    its traceback so the command line can report it as a bug once the other students are graded.
    """

    student: Student
    account: str | None = None
    region: str | None = None
    vpc_id: str | None = None
    vpc_name: str | None = None  # the VPC's Name tag, as the student wrote it (may hold any text)
    grade: Grade | None = None
    error: str | None = None
    bug: Exception | None = field(default=None, compare=False, repr=False)
    drawing: Path | None = None

    @property
    def passed(self) -> bool:
        """Whether the account was graded and passed every requirement."""
        return self.grade is not None and self.grade.score[0] == self.grade.score[1]

    def to_json(self) -> dict[str, Any]:
        passed, total = self.grade.score if self.grade else (None, None)
        return {"student": self.student.name, "account": self.account, "region": self.region,
                "vpc_id": self.vpc_id, "vpc_name": self.vpc_name, "passed": passed, "total": total,
                "all_passed": self.passed, "error": self.error,
                "drawing": self.drawing.name if self.drawing else None,
                "items": [i.to_json() for i in self.grade.items] if self.grade else []}


Connect = Callable[[Student], Ec2]
"""How to reach a student's account: an EC2 client on their credentials and region."""


def read_roster(path: Path) -> list[Student]:
    """The students of a roster file, or RosterError listing every problem in it (no AWS call is made)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise VpcdrawError(f"the roster {path} is not UTF-8 text; save it as CSV UTF-8") from None
    except OSError as error:
        raise VpcdrawError(f"cannot read the roster {path} ({error.strerror or error})") from None
    students, problems = parse_roster(text)
    if problems:
        raise RosterError(str(path), problems)
    return students


def parse_roster(text: str) -> tuple[list[Student], list[str]]:
    """The rows of roster text, and one sentence per problem (all of them, not just the first).

    >>> parse_roster("student,profile\\nkim,kim\\n")
    ([Student(name='kim', line=2, role_arn=None, external_id=None, profile='kim', region=None, vpc_id=None)], [])
    >>> parse_roster("student,profile\\n../x,kim\\n")[1]
    ["line 2: the student name '../x' cannot name a file (class/<student>.png): it has '/' or '..' in it"]
    """
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))  # a spreadsheet's UTF-8 export starts with a BOM
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        return [], ["the roster is empty; its first line must be the header " + ",".join(COLUMNS)]
    columns = [cell.strip().lower() for cell in header]
    problems = _header_problems(columns)
    if problems:
        return [], problems
    students: list[Student] = []
    seen: dict[str, int] = {}
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        line = reader.line_num
        if len(cells) > len(columns):
            problems.append(f"line {line}: {len(cells)} fields where the header has {len(columns)} columns")
            continue
        row = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
        student = _student(row, line)
        found = _row_problems(student)
        key = student.name.casefold()
        if key in seen and student.name:
            found.append(f"the student {student.name!r} is also on line {seen[key]}; each drawing is named after "
                         "its student, so names must differ")
        seen.setdefault(key, line)
        problems += [f"line {line}: {sentence}" for sentence in found]
        students.append(student)
    if not students and not problems:
        problems.append("the roster has a header but no students")
    return students, problems


def _header_problems(columns: list[str]) -> list[str]:
    unknown = [c for c in columns if c not in COLUMNS]
    problems = [f"the header has unknown column{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
                f"the columns are {','.join(COLUMNS)}"] if unknown else []
    doubled = sorted({c for c in columns if columns.count(c) > 1})
    if doubled:
        problems.append(f"the header names {', '.join(map(repr, doubled))} twice")
    if "student" not in columns or not {"role_arn", "profile"} & set(columns):
        problems.append("the header must have a student column and a role_arn or profile column (the first line "
                        "is the header: " + ",".join(COLUMNS) + ")")
    return problems


def _student(row: dict[str, str], line: int) -> Student:
    def cell(column: str) -> str | None:
        return row.get(column) or None

    name = unicodedata.normalize("NFC", row.get("student", ""))  # a Korean name typed on macOS arrives decomposed
    return Student(name, line, cell("role_arn"), cell("external_id"), cell("profile"), cell("region"),
                   cell("vpc_id"))


def _row_problems(student: Student) -> list[str]:
    """What is wrong with one row, one sentence each."""
    problems = []
    if (name_problem := file_name_problem(student.name)) is not None:
        problems.append(name_problem)
    if bool(student.role_arn) == bool(student.profile):
        problems.append("give either a role_arn or a profile" if not student.role_arn else
                        "give a role_arn or a profile, not both (the role is assumed from the reviewer's own "
                        "credentials)")
    if student.external_id and not student.role_arn:
        problems.append("an external_id goes with a role_arn (a profile names its own in ~/.aws/config)")
    for value, check in ((student.role_arn, check_role_arn), (student.external_id, check_external_id)):
        try:
            if value:
                check(value)  # the same checks as --role-arn and --external-id
        except VpcdrawError as error:
            problems.append(str(error))
    if student.region and not _REGION.fullmatch(student.region):
        problems.append(f"{student.region!r} is not a region name such as ap-northeast-2")
    if student.vpc_id and not _VPC_ID.fullmatch(student.vpc_id):
        problems.append(f"{student.vpc_id!r} is not a VPC id such as vpc-0123456789abcdef0")
    return problems


def file_name_problem(name: str) -> str | None:
    """Why `name` cannot name the student's drawing file (class/<name>.png), or None when it can.

    Korean and other letters are fine; path separators, control characters and '..' are not.

    >>> file_name_problem("김민준"), file_name_problem("kim-1")
    (None, None)
    >>> file_name_problem("a\\tb")
    "the student name 'a\\\\tb' cannot name a file (class/<student>.png): it has a control character in it"
    """
    if not name:
        return "the student name is empty"
    reason = None
    if ".." in name or set(name) & {"/", "\\"}:
        reason = "it has '/' or '..' in it"
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in name):
        reason = "it has a control character in it"
    elif set(name) & _NOT_IN_FILE_NAMES:
        reason = "it has one of < > : \" | ? * in it"
    elif name.startswith(".") or name.endswith((".", " ")):
        reason = "it starts with '.' or ends with '.' or a space"
    elif len(name.encode("utf-8")) > 200:
        reason = "it is longer than a file name may be"
    return f"the student name {name!r} cannot name a file (class/<student>.png): {reason}" if reason else None


def connector(default_region: str | None = None, reviewer_profile: str | None = None,
              local_endpoint: str | None = None) -> Connect:
    """How the roster reaches accounts: a profile row with that profile; a role_arn row by assuming the role from
    the reviewer's own credentials (`reviewer_profile`, else the standard configuration). The region is the row's,
    else `default_region`, else the profile's. With `local_endpoint` (vpcdraw's own local AWS), every row is an
    account there, reached by its role."""

    def connect(student: Student) -> Ec2:
        profile = student.profile or reviewer_profile
        region = student.region or default_region or configuration(profile).region or (
            LOCAL_REGION if local_endpoint else None)
        if not region:
            raise VpcdrawError("no region: give the row a region, or --region, or one in the profile")
        if local_endpoint:
            return Ec2(region, endpoint=local_endpoint, local_server=True, role_arn=student.role_arn,
                       external_id=student.external_id)
        return Ec2(region, profile=profile, role_arn=student.role_arn, external_id=student.external_id)

    return connect


def grade_student(student: Student, rubric: Rubric, connect: Connect) -> StudentGrade:
    """Read one student's VPC (read-only) and grade it; an account that cannot be read gives its reason."""
    try:
        ec2 = connect(student)
        vpc = find_vpc(ec2, student.vpc_id, "the row a vpc_id", "another region in the row")
        result = grade(read_vpcs(ec2, [vpc]).topology, rubric)
    except VpcdrawError as error:
        return StudentGrade(student, error=str(error))
    return StudentGrade(student, account=vpc.get("OwnerId"), region=ec2.region, vpc_id=vpc["VpcId"],
                        vpc_name=tags_of(vpc).get("Name"), grade=result)


def grade_roster(students: list[Student], rubric: Rubric, connect: Connect, *,
                 parallelism: int,
                 then: Callable[[StudentGrade], StudentGrade] | None = None,
                 progress: Callable[[StudentGrade, int, int], None] | None = None) -> list[StudentGrade]:
    """Grade every student, `parallelism` at once; the results sorted by student name.

    `then` runs on each result in the same worker (the command line draws there); `progress` is told of each
    result as it comes, with how many are done and the total.
    """
    if parallelism < 1:
        raise VpcdrawError(f"--parallelism must be at least 1, not {parallelism}")

    def work(student: Student) -> StudentGrade:
        result = StudentGrade(student)
        try:
            result = grade_student(student, rubric, connect)
            return then(result) if then is not None else result
        except VpcdrawError as error:  # from `then`: the grade stands, and the row says what else went wrong
            return replace(result, error=str(error))
        except Exception as error:  # a bug: kept with its traceback, for the caller to report as one after the rest
            return replace(result, error=f"internal error ({type(error).__name__}: {error}); a bug in vpcdraw",
                           bug=error)

    results = []
    with ThreadPoolExecutor(max_workers=min(parallelism, len(students)) or 1) as pool:
        futures = [pool.submit(work, student) for student in students]
        for done, future in enumerate(as_completed(futures), start=1):
            results.append(future.result())
            if progress is not None:
                progress(results[-1], done, len(students))
    return sorted(results, key=lambda r: r.student.name)
