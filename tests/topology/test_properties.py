"""Properties over random topologies: valid ones validate and round-trip; broken ones give problems."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import topologies
from vpcdraw.topology import LoadError, validate
from vpcdraw.topology.serialize import from_dict, from_json, to_dict, to_json


@given(topologies())
@settings(max_examples=150, deadline=None)
def test_generated_topologies_validate_and_round_trip(topology):
    assert validate(topology) == []
    assert from_json(to_json(topology)) == topology


_JUNK = st.one_of(st.none(), st.booleans(), st.integers(-(10**20), 10**20), st.text(max_size=20),
                  st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


@given(topologies(), st.data())
@settings(max_examples=150, deadline=None)
def test_broken_subnets_and_rules_give_problems_not_exceptions(topology, data):
    vpc = topology.vpcs[0]
    subnet = data.draw(st.sampled_from(vpc.subnets))
    field = data.draw(st.sampled_from(["cidr", "az", "tier", "name", "map_public_ip"]))
    junk = data.draw(_JUNK)
    broken_subnet = dataclasses.replace(subnet, **{field: junk})
    subnets = tuple(broken_subnet if s is subnet else s for s in vpc.subnets)
    broken = dataclasses.replace(topology, vpcs=(dataclasses.replace(vpc, subnets=subnets),))
    problems = validate(broken)  # must not raise, whatever the value
    if junk != getattr(subnet, field):
        assert all(p.address and p.message for p in problems)


@given(topologies(), st.data())
@settings(max_examples=150, deadline=None)
def test_json_with_junk_in_any_place_is_read_or_refused_with_load_error(topology, data):
    document = to_dict(topology)
    node = document
    path = []
    while isinstance(node, dict | list) and node:
        key = data.draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        path.append(key)
        if not isinstance(node[key], dict | list) or not node[key] or data.draw(st.booleans()):
            node[key] = data.draw(_JUNK)
            break
        node = node[key]
    try:
        loaded = from_dict(document)
    except LoadError as error:
        assert str(error) and "\n" not in str(error)
    else:
        validate(loaded)  # a readable document may still be invalid, but never crashes validation


@given(topologies())
@settings(max_examples=100, deadline=None)
def test_generated_topologies_round_trip_through_python_source(topology):
    from vpcdraw.topology.source import to_python

    namespace: dict = {}
    exec(compile(to_python(topology), "<written>", "exec"), namespace)
    assert namespace["topology"] == topology
