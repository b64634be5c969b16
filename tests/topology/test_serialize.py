"""The JSON form: exact round trips, strict reading."""

from __future__ import annotations

import json

import pytest

from vpcdraw.topology import LoadError
from vpcdraw.topology.serialize import FORMAT_KEY, from_dict, from_json, to_dict, to_json


def test_examples_round_trip_exactly(assignment, service):
    for topology in (assignment, service):
        text = to_json(topology)
        assert from_json(text) == topology
        assert to_json(from_json(text)) == text


def test_json_keeps_hangul_and_the_format_version(assignment):
    data = json.loads(to_json(assignment))
    assert data[FORMAT_KEY] == 1
    assert "외부망" in to_json(assignment)
    assert data["vpcs"][0]["security_groups"][0]["egress"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["vpcs"][0]["subnets"][0].update(cidr=24), "topology.vpcs[0].subnets[0].cidr must be a string"),
        (lambda d: d["vpcs"][0]["subnets"][0].update(tier="dmz"),
         "topology.vpcs[0].subnets[0].tier must be one of 'public', 'private', 'management', not 'dmz'"),
        (lambda d: d["vpcs"][0]["subnets"][0].update(colour="red"),
         "topology.vpcs[0].subnets[0] has unknown key 'colour'"),
        (lambda d: d["vpcs"][0]["subnets"][0].pop("cidr"), "topology.vpcs[0].subnets[0] is missing the key 'cidr'"),
        (lambda d: d["vpcs"][0].update(subnets={"a": 1}), "topology.vpcs[0].subnets must be a list, not an object"),
        (lambda d: d["vpcs"][0]["subnets"][0].update(map_public_ip=1),
         "map_public_ip must be true or false, not the number 1"),
        (lambda d: d["vpcs"][0]["security_groups"][0]["ingress"][0].update(from_port="8080"),
         "from_port must be a whole number or null, not a string"),
        (lambda d: d.update({FORMAT_KEY: 7}), "vpcdraw_format 7 is not one this vpcdraw reads"),
    ],
)
def test_wrong_types_and_unknown_keys_get_one_clear_message(assignment, change, message):
    data = to_dict(assignment)
    change(data)
    with pytest.raises(LoadError) as caught:
        from_dict(data)
    assert message in str(caught.value)


def test_not_json_and_not_an_object():
    with pytest.raises(LoadError, match="not valid JSON: Expecting value at line 1, column 1"):
        from_json("nope")
    with pytest.raises(LoadError, match="must be a JSON object, not a list"):
        from_json("[1, 2]")


def test_huge_numbers_load_and_fail_validation_not_the_reader(assignment):
    from vpcdraw.topology import validate

    data = to_dict(assignment)
    data["vpcs"][0]["security_groups"][0]["ingress"][0].update(from_port=10**30, to_port=10**30)
    problems = validate(from_dict(data))
    assert any("port 1000000000000000000000000000000 is outside 0-65535" in p.message for p in problems)


def test_python_source_round_trips_the_examples(assignment, service, tmp_path):
    from vpcdraw.topology import load
    from vpcdraw.topology.source import to_python

    for topology in (assignment, service):
        path = tmp_path / f"{topology.name}-written.py"
        path.write_text(to_python(topology), encoding="utf-8")
        assert load(path) == topology
