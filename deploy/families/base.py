"""What every resource family says about its kinds: what it reads, what AWS cannot change in place, its calls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

from vpcdraw.topology.errors import VpcdrawError
from vpcdraw.topology.graph import Resource
from vpcdraw.topology.specs import Spec

from ..context import Context

S = TypeVar("S", bound=Spec)


def by_vpc(vpc_ids: list[str]) -> dict[str, Any]:
    """The Filters of a Describe call that asks for what is inside these VPCs."""
    return {"Filters": [{"Name": "vpc-id", "Values": vpc_ids}]}


@dataclass(frozen=True)
class Read:
    """One paginated Describe call of the read of an account: its result is `found[name]` in the translation.

    `kind` is what goes into `not_checked` when the credentials may not make the call.
    """

    name: str
    kind: str
    operation: str
    key: str
    params: Callable[[list[str]], dict[str, Any]] = field(default=by_vpc)


class Family(Generic[S]):
    """The AWS side of one kind: subclasses set SPEC and override the calls AWS offers for it.

    `create` returns the new resource's AWS id; `update` changes in place the fields named in `changed`
    (only ever ones outside `REPLACED_BY`); `delete` removes it, `gone` telling which errors mean it is
    gone already.
    """

    SPEC: ClassVar[type[Spec]]
    TAG_TYPE: ClassVar[str] = ""  # the TagSpecifications resource type; '' for what has no tags of its own
    REPLACED_BY: ClassVar[tuple[str, ...]] = ()  # what AWS cannot change in place: delete and create again
    READS: ClassVar[tuple[Read, ...]] = ()
    STARTS_EARLY: ClassVar[str] = ""  # a field naming what the create needs only for a second call

    @property
    def taggable(self) -> bool:
        """Whether it has tags of its own, so that it can be owned, and adopted."""
        return bool(self.TAG_TYPE)

    def create(self, ctx: Context, resource: Resource, spec: S) -> str:
        raise VpcdrawError(f"vpcdraw cannot create a {self.SPEC.KIND.replace('_', ' ')}")

    def update(self, ctx: Context, resource: Resource, spec: S, before: S, changed: tuple[str, ...]) -> None:
        if "name" in changed:
            ctx.ec2.call("CreateTags", Resources=[ctx.id(resource.address)], Tags=[{"Key": "Name",
                                                                                    "Value": spec.label}])

    def delete(self, ctx: Context, aws_id: str, spec: S) -> None:
        raise VpcdrawError(f"vpcdraw cannot delete a {self.SPEC.KIND.replace('_', ' ')}")

    def dies_with_parent(self, spec: S) -> bool:
        """Whether deleting the resource it is part of removes it too, so that it needs no call of its own."""
        return False

    def gone(self, code: str) -> bool:
        """Whether an error of a delete means that the resource is not there (which is what was wanted)."""
        return code.endswith("NotFound")
