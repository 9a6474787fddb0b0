"""Property tests: CIDR matching agrees with the ``ipaddress`` module, v4 and v6, deny wins."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from authorizers._cidr import (
    CidrPolicy,
    CidrSet,
    IPAddress,
    IPNetwork,
    parse_address,
    parse_network,
    unmapped,
)
from authorizers.errors import ConfigurationError


@st.composite
def v4_networks(draw: st.DrawFn) -> IPv4Network:
    length = draw(st.integers(0, 32))
    return IPv4Network((draw(st.integers(0, 2**32 - 1)), length), strict=False)


@st.composite
def v6_networks(draw: st.DrawFn) -> IPv6Network:
    length = draw(st.integers(0, 128))
    return IPv6Network((draw(st.integers(0, 2**128 - 1)), length), strict=False)


networks = st.one_of(v4_networks(), v6_networks())
network_lists = st.lists(networks, max_size=8)


@st.composite
def address_near(draw: st.DrawFn, candidates: list[IPNetwork]) -> IPAddress:
    """Often inside (or at the edge of) one of the networks, so matches actually happen."""
    if candidates and draw(st.booleans()):
        net = draw(st.sampled_from(candidates))
        offset = draw(st.sampled_from([0, net.num_addresses - 1, net.num_addresses, -1]))
        number = int(net.network_address) + offset
        if 0 <= number < 2**net.max_prefixlen:
            return IPv4Address(number) if net.version == 4 else IPv6Address(number)
    if draw(st.booleans()):
        return IPv4Address(draw(st.integers(0, 2**32 - 1)))
    return IPv6Address(draw(st.integers(0, 2**128 - 1)))


def normal(address: IPAddress) -> IPAddress:
    mapped = address.ipv4_mapped if isinstance(address, IPv6Address) else None
    return mapped or address


def reference_permits(allow: list[IPNetwork], deny: list[IPNetwork], address: IPAddress) -> bool:
    """ipaddress semantics, with IPv4-mapped addresses and networks taken as IPv4."""
    address = normal(address)
    if any(address in unmapped(net) for net in deny):
        return False
    return not allow or any(address in unmapped(net) for net in allow)


@given(st.data(), network_lists, network_lists)
def test_policy_agrees_with_ipaddress_and_deny_wins(
    data: st.DataObject, allow: list[IPNetwork], deny: list[IPNetwork]
) -> None:
    address = data.draw(address_near(allow + deny))
    policy = CidrPolicy(allow, deny)
    permitted = policy.permits(normal(address))
    assert permitted is reference_permits(allow, deny, address)
    if any(address in net for net in deny):
        assert not permitted


@given(st.data(), network_lists)
def test_set_membership_agrees_with_ipaddress(data: st.DataObject, nets: list[IPNetwork]) -> None:
    address = normal(data.draw(address_near(nets)))
    assert (address in CidrSet(nets)) is any(address in unmapped(net) for net in nets)


@given(st.data(), st.lists(v4_networks(), min_size=1, max_size=4))
def test_ipv4_mapped_addresses_cannot_dodge_a_deny(
    data: st.DataObject, deny: list[IPv4Network]
) -> None:
    address = data.draw(address_near(list(deny)))
    assume(isinstance(address, IPv4Address))
    mapped = parse_address(f"::ffff:{address}")
    assert mapped == address
    policy = CidrPolicy(deny=deny)
    assert mapped is not None
    assert policy.permits(mapped) is policy.permits(address)


@given(networks)
def test_configured_networks_parse_exactly_as_ipaddress_does(net: IPNetwork) -> None:
    text = str(net)
    parsed = parse_network(text)
    if isinstance(net, IPv6Network) and net.prefixlen >= 96 and net[0].ipv4_mapped:
        assert parsed == IPv4Network((net[0].ipv4_mapped, net.prefixlen - 96))
    else:
        assert parsed == ip_network(text)
    assert parse_network(f" {text} ") == parsed


@given(v4_networks())
def test_host_bits_are_refused_not_silently_widened(net: IPv4Network) -> None:
    assume(net.prefixlen < 32)
    with pytest.raises(ConfigurationError):
        parse_network(f"{net.network_address + 1}/{net.prefixlen}")


@given(st.data(), v4_networks())
def test_mapped_ipv6_networks_in_config_match_as_ipv4(
    data: st.DataObject, net: IPv4Network
) -> None:
    mapped = parse_network(f"::ffff:{net.network_address}/{net.prefixlen + 96}")
    assert mapped == net
    address = data.draw(address_near([net]))
    assert (address in CidrSet([mapped])) is (address in net)


@given(st.text(max_size=40))
def test_garbage_addresses_never_match_and_never_raise(text: str) -> None:
    address = parse_address(text)
    if address is None:
        assert address not in CidrSet(["0.0.0.0/0", "::/0"])
    else:
        assert address in CidrSet(["0.0.0.0/0", "::/0"])


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "fe80::/129", "10.0.0.0/8/8", "", "any"])
def test_bad_blocks_raise_configuration_errors(bad: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_network(bad)
