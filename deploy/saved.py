"""Saved plans: `plan FILE -out PLAN` keeps what `apply PLAN` needs to carry out exactly that plan, later.

A saved plan holds the topology it was made from (not the file's name: the file may change meanwhile),
the options that shaped it, and its actions with the AWS ids they act on. apply makes the plan again
from the account as it is then; when that plan is not the saved one, the account changed since, and
apply refuses, as Terraform refuses a stale plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.files import write
from vpcdraw.topology.model import Topology
from vpcdraw.topology.serialize import from_dict, to_dict
from vpcdraw.topology.words import plural

from .plan import Plan

FORMAT = "vpcdraw-plan/1"


@dataclass(frozen=True)
class SavedPlan:
    """A plan as saved: the topology, its options, and the actions with the ids they act on, as JSON."""

    topology: Topology
    my_ip: str | None
    adopt: bool
    vpc_id: str | None
    actions: tuple[dict[str, Any], ...]
    ids: dict[str, str]

    def stale(self, fresh: Plan) -> str | None:
        """Why the plan made now is not the one saved, in words, or None when it is the same."""
        now = tuple(json.loads(json.dumps([a.to_json() for a in fresh.actions], default=str)))
        if now == self.actions and _acted_on(fresh) == self.ids:
            return None
        return (f"the account changed since this plan was made ({plural(len(self.actions), 'action')} then, "
                f"{len(now)} now)")


def _acted_on(made: Plan) -> dict[str, str]:
    return {a.address: made.ids[a.address] for a in made.actions if a.address in made.ids}


def save(path: Path, made: Plan, topology: Topology, my_ip: str | None, adopt: bool, vpc_id: str | None) -> None:
    """Write the plan to `path`, refusing to overwrite the topology file itself."""
    document = {"format": FORMAT, "topology": to_dict(topology), "my_ip": my_ip, "adopt": adopt, "vpc_id": vpc_id,
                "actions": [a.to_json() for a in made.actions], "ids": _acted_on(made)}
    write(path, json.dumps(document, indent=1, ensure_ascii=False, default=str) + "\n", "the plan")


def is_saved(path: Path) -> bool:
    """Whether `path` is a saved plan (rather than a topology file)."""
    if path.suffix == ".py" or not path.is_file():
        return False
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(200)
    except (OSError, UnicodeDecodeError):
        return False
    return f'"format": "{FORMAT}"' in head


def load(path: Path) -> SavedPlan:
    """The saved plan in `path`; one sentence when it cannot be read."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        (fmt, topology, actions, ids) = (document["format"], document["topology"], document["actions"],
                                         document["ids"])
        if fmt != FORMAT or not isinstance(actions, list) or not isinstance(ids, dict):
            raise ValueError("not a vpcdraw plan")
        return SavedPlan(from_dict(topology), document.get("my_ip"), bool(document.get("adopt")),
                         document.get("vpc_id"), tuple(actions), {str(k): str(v) for k, v in ids.items()})
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise VpcdrawError(f"{path} is not a plan vpcdraw saved ({error}); make one with plan FILE -out "
                           f"{path.name}") from None
