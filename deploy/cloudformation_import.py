"""The template of CloudFormation's IMPORT change set: the imported resources only, since an import creates
nothing, with what they name outside the import given by its live id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

Json: TypeAlias = str | int | bool | list["Json"] | dict[str, "Json"]


def importing(body: dict[str, Json], imports: list[dict[str, Json]], live_of: Mapping[str, str],
              parameters: Mapping[str, Json]) -> tuple[list[dict[str, Json]], dict[str, Json], list[str]]:
    """The ResourcesToImport, the import's template, and the logical ids left out of both: a resource that
    refers to one that does not exist yet is left for the stack update after the import.

    >>> body = {"Resources": {"A": {"Type": "T", "Properties": {"X": {"Ref": "B"}}}, "B": {"Type": "T"}}}
    >>> found = importing(body, [{"LogicalResourceId": "A"}], {"B": "b-1"}, {})
    >>> found[1]["Resources"], found[2]
    ({'A': {'Type': 'T', 'Properties': {'X': 'b-1'}}}, [])
    """
    resources = body["Resources"]
    assert isinstance(resources, dict)
    kept = {str(item["LogicalResourceId"]) for item in imports}
    while True:
        blocked = {name for name in kept if not _resolvable(resources[name], kept, live_of, parameters)}
        if not blocked:
            break
        kept -= blocked
    chosen: dict[str, Json] = {}
    for name, entry in resources.items():
        if name in kept and isinstance(entry, dict):
            chosen[name] = {key: _resolved(value, kept, live_of) for key, value in entry.items()
                            if key != "DependsOn"} | _depends(entry, kept)
    import_body = {key: value for key, value in body.items() if key not in ("Resources", "Outputs", "Conditions")}
    conditions = body.get("Conditions")
    used = set(_conditions(list(chosen.values())))
    if isinstance(conditions, dict) and used:  # only those the imported resources use (cfn-lint: W8001)
        import_body["Conditions"] = {name: value for name, value in conditions.items() if name in used}
    import_body["Resources"] = chosen
    left = [str(item["LogicalResourceId"]) for item in imports if str(item["LogicalResourceId"]) not in kept]
    return [item for item in imports if str(item["LogicalResourceId"]) in kept], import_body, left


def _refers(value: Json) -> list[str]:
    """The logical ids a property value names with Ref or Fn::GetAtt."""
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return [str(value["Ref"])]
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and set(value) == {"Fn::GetAtt"}:
            return [str(attribute[0])]
        return [name for item in value.values() for name in _refers(item)]
    if isinstance(value, list):
        return [name for item in value for name in _refers(item)]
    return []


def _conditions(value: Json) -> list[str]:
    """The conditions a value names with Fn::If."""
    if isinstance(value, dict):
        found = value.get("Fn::If")
        named = [str(found[0])] if isinstance(found, list) and found else []
        return named + [name for item in value.values() for name in _conditions(item)]
    if isinstance(value, list):
        return [name for item in value for name in _conditions(item)]
    return []


def _resolvable(entry: Json, kept: set[str], live_of: Mapping[str, str], parameters: Mapping[str, Json]) -> bool:
    """Whether every name the entry refers to is imported, live, a parameter or a pseudo parameter (AWS::...)."""
    properties = entry.get("Properties", {}) if isinstance(entry, dict) else {}
    return all(name in kept or name in live_of or name in parameters or name.startswith("AWS::")
               for name in _refers(properties))


def _resolved(value: Json, kept: set[str], live_of: Mapping[str, str]) -> Json:
    """A property value with each reference to a resource outside the import replaced by its live id."""
    if isinstance(value, dict):
        named = _refers(value) if set(value) in ({"Ref"}, {"Fn::GetAtt"}) else []
        if named and named[0] not in kept and named[0] in live_of:
            return live_of[named[0]]
        return {key: _resolved(item, kept, live_of) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolved(item, kept, live_of) for item in value]
    return value


def _depends(entry: dict[str, Json], kept: set[str]) -> dict[str, Json]:
    found = entry.get("DependsOn")
    names = [str(n) for n in found] if isinstance(found, list) else [str(found)] if found else []
    inside: list[Json] = [n for n in names if n in kept]
    return {"DependsOn": inside if len(inside) > 1 else inside[0]} if inside else {}
