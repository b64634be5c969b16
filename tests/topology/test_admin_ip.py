"""The `my_ip` placeholder: resolved at use time, never widened; `auto` asks a what-is-my-IP endpoint."""

from __future__ import annotations

import pytest

from vpcdraw.deploy.my_ip import lookup
from vpcdraw.topology import MissingMyIp, VpcdrawError
from vpcdraw.topology.admin_ip import fill, normalise, not_from_the_internet, uses_my_ip


def test_an_address_becomes_a_single_host_cidr():
    assert normalise("203.0.113.10") == "203.0.113.10/32"
    assert normalise(" 203.0.113.10/32 ") == "203.0.113.10/32"


@pytest.mark.parametrize(("value", "message"), [
    ("203.0.113.0/24", "is a range of 256 addresses; give one address"),
    ("0.0.0.0/0", "is a range of"),
    ("my.host", "is not an IPv4 address"),
])
def test_anything_wider_than_one_address_is_refused(value, message):
    with pytest.raises(VpcdrawError, match=message):
        normalise(value)


@pytest.mark.parametrize(("value", "kind"), [
    ("10.1.2.3", "a private"), ("172.16.0.9", "a private"), ("172.31.255.1", "a private"),
    ("192.168.0.10", "a private"), ("127.0.0.1", "a loopback"), ("169.254.169.254", "a link-local"),
    ("100.64.0.1", "a shared (carrier-grade NAT)"), ("0.0.0.0", "the unspecified"),
])
def test_an_address_the_internet_never_sends_from_is_warned_about(value, kind):
    assert not_from_the_internet(normalise(value)) == (
        f"my IP {value} is {kind} address, so no traffic from the internet will ever match it; give the address "
        "the internet sees you by (--my-ip auto finds it)")


@pytest.mark.parametrize("value", ["8.8.8.8", "172.32.0.1", "172.15.255.255", "203.0.113.10", "198.51.100.7"])
def test_a_public_or_example_address_is_not_warned_about(value):
    assert not_from_the_internet(normalise(value)) is None


def test_fill_replaces_only_my_ip_peers(assignment):
    assert uses_my_ip(assignment)
    filled = fill(assignment, "198.51.100.7")
    assert not uses_my_ip(filled)
    management = filled.vpcs[0].security_group("management")
    assert management is not None
    assert [(r.port_text, r.peer.value) for r in management.ingress] == [("tcp/22", "198.51.100.7/32")]
    assert filled.vpcs[0].security_group("public") == assignment.vpcs[0].security_group("public")


def test_fill_without_an_address_says_how_to_give_one(assignment):
    with pytest.raises(MissingMyIp, match="--my-ip ADDRESS, --my-ip auto, or VPCDRAW_MY_IP"):
        fill(assignment, None)


def test_auto_asks_the_endpoint_and_says_where(checkip):
    assert lookup(checkip) == ("198.51.100.23/32", checkip)


def test_auto_reports_an_unreachable_endpoint_in_one_sentence():
    with pytest.raises(VpcdrawError, match=r"could not ask http://127\.0\.0\.1:9/ for your public IP"):
        lookup("http://127.0.0.1:9/", timeout=2)


def test_auto_refuses_non_http_urls():
    with pytest.raises(VpcdrawError, match="is not an http"):
        lookup("file:///etc/passwd")
