"""vpcdraw installs under one name: nothing of it is importable as a bare `topology`, `render` or `deploy`."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BARE = ("topology", "render", "deploy")


@pytest.mark.parametrize("name", BARE)
def test_the_bare_package_names_are_not_installed(name: str, tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", f"import {name}"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1
    assert f"No module named '{name}'" in done.stderr


def test_the_builder_imports_from_vpcdraw_without_heavy_libraries(tmp_path: Path) -> None:
    probe = ("import sys\nfrom vpcdraw import TopologyBuilder, anywhere, my_ip, sg\n"
             "print(sorted(m for m in ('boto3', 'diagrams', 'networkx', 'moto') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_no_source_file_imports_the_bare_names() -> None:
    offenders = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if any(part.startswith(".venv") for part in path.parts):  # .venv and .venv-checkov: installed code
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            offenders += [f"{path.relative_to(ROOT)}:{node.lineno}" for n in names if n.split(".")[0] in BARE]
    assert offenders == []


def test_a_file_with_the_old_import_gets_one_sentence(cli, tmp_path: Path) -> None:
    old = tmp_path / "old.py"
    old.write_text('"""An old file."""\nfrom topology import TopologyBuilder\n', encoding="utf-8")
    result = cli("check", old)
    assert result.code == 1
    assert result.err == (f"vpcdraw: error: {old} line 2: vpcdraw is installed as one package now; write "
                          "`from vpcdraw import TopologyBuilder, anywhere, my_ip, sg` instead of "
                          "`from topology`\n")


def test_every_package_folder_is_installed() -> None:
    """A new folder of modules (such as deploy/families) must be in pyproject's package list, or a
    non-editable install leaves it out."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    folders = {f"vpcdraw.{name}": ROOT / name for name in BARE} | {"vpcdraw": ROOT / "vpcdraw"}
    found = set()
    for package, folder in folders.items():
        for init in folder.glob("**/__init__.py"):
            found.add(".".join([package, *init.parent.relative_to(folder).parts]))
    assert found == set(config["packages"])
    assert {f"vpcdraw.{name}": name for name in BARE} == config["package-dir"]
