"""checkov's opinion of the exported CloudFormation template and Terraform module agrees with `vpcdraw lint` on
the security-group checks lint maps to checkov ids, on the examples and on hostile variants.

checkov lives in a venv of its own (`make` creates `.venv-checkov`; in the project venv it would downgrade boto3,
networkx and packaging), so without it these tests skip. It is slow to start, so it runs once per framework over a
folder holding every variant.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from vpcdraw.deploy.cloudformation import template
from vpcdraw.deploy.tags import ADDRESS_TAG
from vpcdraw.deploy.terraform import module
from vpcdraw.topology import Topology, TopologyBuilder, anywhere, load, my_ip, sg
from vpcdraw.topology.analysis.lint import RULES, lint
from vpcdraw.topology.builder import SecurityGroupBuilder, cidr
from vpcdraw.topology.examples import example_source

CHECKOV = Path(__file__).resolve().parents[2] / ".venv-checkov" / "bin" / "checkov"
pytestmark = pytest.mark.skipif(not CHECKOV.exists(), reason=f"checkov is not installed at {CHECKOV} "
                                                             "(`make test` installs it in a venv of its own)")

# The lint rules about security groups, and through RULES the checkov ids they name.
GROUP_RULES = ("VD001", "VD002", "VD003", "VD004", "VD005", "VD009")
CHECK_IDS = tuple(sorted({i for r in GROUP_RULES for i in RULES[r][1] if i.startswith("CKV")}))
# CKV_AWS_260 (port 80 open to the world) is not among them: serving HTTP to the world is a public web tier's
# purpose, so lint has no rule for it.
# checkov's framework for Terraform's JSON syntax is `terraform_json`: `terraform` reads no .tf.json (it scans
# nothing there and says so only by a resource count of 0).
FRAMEWORKS = ("cloudformation", "terraform_json")
MY_IP = "203.0.113.10/32"

Found = set[tuple[str, str]]  # (checkov id, security group address)


def _hostile(name: str, add: Callable[[SecurityGroupBuilder], object], *, lock_default: bool = True) -> Topology:
    """A public subnet behind one security group `open` that `add` gives its rules."""
    t = TopologyBuilder(name, region="ap-northeast-2")
    vpc = t.vpc("main", "10.0.0.0/16")
    vpc.subnet("public-a", "10.0.0.0/24", az="a", tier="public")
    vpc.internet_gateway("igw")
    vpc.route_table("public", subnets=["public-a"]).route("0.0.0.0/0", internet_gateway="igw")
    if lock_default:
        vpc.lock_default_security_group()
    add(vpc.security_group("open", "a hostile variant", tier="public"))
    return t.build()


def _examples() -> dict[str, Topology]:
    """The shipped examples, loaded as the `assignment` and `service` fixtures load them (checkov runs once per
    module, so a module-scoped fixture cannot use those function-scoped ones)."""
    out = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in ("assignment", "service"):
            path = Path(folder) / f"{name}.py"
            path.write_text(example_source(name), encoding="utf-8")
            out[name] = load(path)
    return out


def variants() -> dict[str, Topology]:
    hostile: dict[str, Callable[[SecurityGroupBuilder], object]] = {
        "ssh": lambda g: g.ingress("tcp/22", anywhere, "SSH from anywhere"),
        "rdp": lambda g: g.ingress("tcp/3389", anywhere, "RDP from anywhere"),
        "all-traffic": lambda g: g.ingress("all", anywhere, "everything from anywhere"),
        "every-tcp-port": lambda g: g.ingress("tcp/0-65535", anywhere, "every TCP port from anywhere"),
        "wide-range": lambda g: g.ingress("tcp/20-4000", anywhere, "22, 3306 and 3389 among others"),
        "database": lambda g: g.ingress("tcp/3306", anywhere, "MySQL from anywhere")
                               .ingress("tcp/5432", anywhere, "PostgreSQL from anywhere"),
        "split-world": lambda g: g.ingress("tcp/22", cidr("0.0.0.0/1"), "SSH from half the world")
                                  .ingress("tcp/22", cidr("128.0.0.0/1"), "SSH from the other half"),
        "no-description": lambda g: g.ingress("tcp/443", anywhere).egress("tcp/443", anywhere),
    }
    out = _examples()
    out |= {name: _hostile(name, add) for name, add in hostile.items()}
    out["default-open"] = _hostile("default-open", lambda g: g.ingress("tcp/22", my_ip, "SSH from the admin")
                                   .ingress("tcp/443", sg("open"), "HTTPS among its members"), lock_default=False)
    return out


VARIANTS = variants()




def _lint(topology: Topology) -> Found:
    return {(i, f.address) for f in lint(topology) for i in f.public_ids if i in CHECK_IDS}


def _run_checkov(folder: Path, framework: str) -> list[dict[str, Any]]:
    """checkov's failed checks on CHECK_IDS over every variant below `folder`, in one run (`--skip-download`: the
    checks ship with checkov; without it checkov asks Prisma Cloud for guidelines, and waits where it cannot)."""
    done = subprocess.run([str(CHECKOV), "-d", str(folder), "--framework", framework, "--check", ",".join(CHECK_IDS),
                           "--skip-download", "-o", "json", "--compact", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode in (0, 1), done.stderr  # 1: some check failed
    report = json.loads(done.stdout)
    assert isinstance(report, dict) and report["check_type"] == framework, done.stdout[:500]
    summary = report["summary"]
    # A file checkov cannot parse is no finding at all: the comparison would pass for the wrong reason.
    assert summary["parsing_errors"] == 0 and summary["passed"] + summary["failed"] > 0, (summary, done.stderr)
    return list(report["results"]["failed_checks"])


def _variant(check: dict[str, Any]) -> str:
    return str(Path(check["file_path"].lstrip("/")).parts[0])


def _address_tag(tags: Any) -> str:
    if isinstance(tags, dict):
        return str(tags[ADDRESS_TAG])
    return next(str(t["Value"]) for t in tags if t["Key"] == ADDRESS_TAG)


def _cloudformation(folder: Path) -> dict[str, Found]:
    """checkov's findings on each variant's template, by the address of the group each one concerns (a separate
    SecurityGroupIngress/Egress resource concerns the group its GroupId names)."""
    group_of: dict[tuple[str, str], str] = {}  # (variant, logical id) -> security group address
    for name, topology in VARIANTS.items():
        (folder / name).mkdir()
        body = template(topology, my_ip=MY_IP).body
        (folder / name / "template.json").write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        resources: dict[str, Any] = body["Resources"]  # type: ignore[assignment]
        for logical, entry in resources.items():
            if entry["Type"] == "AWS::EC2::SecurityGroup":
                group_of[name, logical] = _address_tag(entry["Properties"]["Tags"])
        for logical, entry in resources.items():
            if entry["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
                group_of[name, logical] = group_of[name, entry["Properties"]["GroupId"]["Fn::GetAtt"][0]]
    found: dict[str, Found] = {name: set() for name in VARIANTS}
    for check in _run_checkov(folder, "cloudformation"):
        name = _variant(check)
        found[name].add((check["check_id"], group_of[name, check["resource"].split(".", 1)[1]]))
    return found


def _terraform(folder: Path) -> dict[str, Found]:
    """checkov's findings on each variant's module, by the address of the group each one concerns.

    CKV2_AWS_12 fails on the aws_vpc whose default group is open: it concerns that VPC's default group.
    checkov's terraform_json names a resource `resource.NAME`, without its type, so the names of the kinds these
    checks read must be unique in a module (they are: a rule's name starts with its group's). The file is the
    exported module without its `terraform` block (required_version and required_providers): checkov 3.3.30's
    terraform_json parser stops at a block of plain attributes ("this method receives only dicts").
    """
    group_of: dict[tuple[str, str], str] = {}  # (variant, Terraform name) -> security group address
    for name, topology in VARIANTS.items():
        (folder / name).mkdir()
        main = dict(module(topology, my_ip=MY_IP).main)
        del main["terraform"]
        (folder / name / "main.tf.json").write_text(json.dumps(main, ensure_ascii=False), encoding="utf-8")
        resources: dict[str, dict[str, Any]] = main["resource"]
        named: dict[str, str] = {}
        for tf_name, body in resources.get("aws_security_group", {}).items():
            named[f"aws_security_group.{tf_name}"] = _address_tag(body["tags"])
        for tf_name, body in resources.get("aws_vpc", {}).items():
            named[f"aws_vpc.{tf_name}"] = _address_tag(body["tags"]) + "/security_group/default"
        for kind in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
            for tf_name, body in resources.get(kind, {}).items():
                named[f"{kind}.{tf_name}"] = named[body["security_group_id"].removeprefix("${").removesuffix(".id}")]
        for typed, group in named.items():
            tf_name = typed.split(".", 1)[1]
            assert (name, tf_name) not in group_of, f"{name}: two resources named {tf_name}"
            group_of[name, tf_name] = group_of[name, typed] = group
    found: dict[str, Found] = {name: set() for name in VARIANTS}
    for check in _run_checkov(folder, "terraform_json"):
        name = _variant(check)
        found[name].add((check["check_id"], group_of[name, check["resource"].removeprefix("resource.")]))
    return found


@pytest.fixture(scope="module")
def checkov(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Found]]:
    """checkov's findings by framework and variant; checkov runs once per framework (each run takes seconds)."""
    return {"cloudformation": _cloudformation(tmp_path_factory.mktemp("cloudformation")),
            "terraform_json": _terraform(tmp_path_factory.mktemp("terraform"))}


# Where checkov and lint differ by design: (framework, variant, checkov id, group name) -> the side that has the
# finding and why. The test fails on a difference not listed here, and on one listed that no longer occurs.
LINT_ONLY, CHECKOV_ONLY = "lint only", "checkov only"
NO_CFN_DEFAULT = ("checkov has CKV2_AWS_12 only for Terraform (a graph check on aws_default_security_group); "
                  "CloudFormation cannot manage the default group, and vpcdraw apply locks it")
CFN_NO_PORTS = ("checkov's CloudFormation port checks read FromPort/ToPort, which an all-traffic (-1) rule has "
                "none of, and checkov has CKV_AWS_277 only for Terraform")
CFN_NO_277 = "checkov has CKV_AWS_277 only for Terraform"
TF_NO_PORTS = ("an all-traffic aws_vpc_security_group_ingress_rule (ip_protocol -1) has no from_port/to_port, and "
               "checkov's port checks pass a rule without them; its CKV_AWS_277 reads `protocol`, not ip_protocol")
TF_277 = ("checkov's CKV_AWS_277 is about all traffic (protocol -1), which it reads from `protocol`, not "
          "ip_protocol; lint's VD003 also counts tcp 0-65535 as every port")
COVERAGE = ("lint reads coverage (0.0.0.0/1 and 128.0.0.0/1 together are everyone); checkov reads the spelling "
            "0.0.0.0/0")
TF_GROUP_PEER = ("checkov 3.3.30 does not know aws_vpc_security_group_ingress_rule's referenced_security_group_id, "
                 "so a rule from another group looks to it like a rule from anywhere (a false positive)")
TF_DEFAULT_EGRESS = ("the module writes AWS's default egress rule (all to 0.0.0.0/0) as a resource, since Terraform "
                     "deletes it otherwise, and without a description; lint asks only the rules the model has")
HOSTILE_WITH_DEFAULT_EGRESS = ("ssh", "rdp", "all-traffic", "every-tcp-port", "wide-range", "database", "split-world",
                               "default-open")
EXPECTED: dict[tuple[str, str, str, str], tuple[str, str]] = {
    **{("cloudformation", v, "CKV2_AWS_12", "default"): (LINT_ONLY, NO_CFN_DEFAULT)
       for v in ("assignment", "service", "default-open")},
    **{("cloudformation", "all-traffic", i, "open"): (LINT_ONLY, CFN_NO_PORTS)
       for i in ("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277")},
    ("cloudformation", "every-tcp-port", "CKV_AWS_277", "open"): (LINT_ONLY, CFN_NO_277),
    ("cloudformation", "split-world", "CKV_AWS_24", "open"): (LINT_ONLY, COVERAGE),
    **{("terraform_json", "all-traffic", i, "open"): (LINT_ONLY, TF_NO_PORTS)
       for i in ("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277")},
    ("terraform_json", "every-tcp-port", "CKV_AWS_277", "open"): (LINT_ONLY, TF_277),
    ("terraform_json", "split-world", "CKV_AWS_24", "open"): (LINT_ONLY, COVERAGE),
    **{("terraform_json", v, "CKV_AWS_24", g): (CHECKOV_ONLY, TF_GROUP_PEER)
       for v in ("assignment", "service") for g in ("public", "private")},
    **{("terraform_json", v, "CKV_AWS_23", g): (CHECKOV_ONLY, TF_DEFAULT_EGRESS)
       for v in ("assignment", "service") for g in ("public", "private", "management")},
    **{("terraform_json", v, "CKV_AWS_23", "open"): (CHECKOV_ONLY, TF_DEFAULT_EGRESS)
       for v in HOSTILE_WITH_DEFAULT_EGRESS},
}


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_checkov_and_lint_agree_on_security_groups(checkov: dict[str, dict[str, Found]], framework: str,
                                                   variant: str) -> None:
    """Every checkov failure on a mapped id is a lint finding with that id on the same group, and the reverse,
    except for the differences EXPECTED lists with their reason."""
    linted, seen = _lint(VARIANTS[variant]), checkov[framework][variant]
    differences = {(i, where.rsplit("/", 1)[1]): LINT_ONLY for i, where in linted - seen}
    differences |= {(i, where.rsplit("/", 1)[1]): CHECKOV_ONLY for i, where in seen - linted}
    expected = {(i, group): side for (f, v, i, group), (side, _) in EXPECTED.items() if (f, v) == (framework, variant)}
    assert differences == expected


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_checkov_sees_what_lint_sees_where_both_can(checkov: dict[str, dict[str, Found]], framework: str) -> None:
    """The agreement is not two empty sets: both flag SSH, RDP and a range holding both, and a rule without a
    description; in Terraform both flag the open default group."""
    both = {v: _lint(VARIANTS[v]) & checkov[framework][v] for v in VARIANTS}
    group = "vpc/main/security_group/open"
    assert ("CKV_AWS_24", group) in both["ssh"]
    assert ("CKV_AWS_25", group) in both["rdp"]
    assert {("CKV_AWS_24", group), ("CKV_AWS_25", group)} <= both["wide-range"]
    assert ("CKV_AWS_23", group) in both["no-description"]
    ports = {i for i, _ in checkov[framework]["database"]} & {"CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"}
    assert not ports, "3306 and 5432 open to the world trip no SSH, RDP or all-ports check"
    if framework == "terraform_json":
        assert ("CKV2_AWS_12", "vpc/main/security_group/default") in both["default-open"]
