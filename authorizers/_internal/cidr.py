"""Source-IP allow and deny lists (IPv4 and IPv6), with deny winning.

An IPv4-mapped IPv6 address (``::ffff:203.0.113.9``) is matched as the IPv4 address it carries,
and mapped networks in configuration as IPv4 networks, so a deny of ``203.0.113.0/24`` cannot be
dodged by writing the address the other way. Lookups cost one set probe per distinct prefix
length, not one comparison per network, so long lists stay cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import (
    IPv4Address,
    IPv4Network,
    IPv6Address,
    IPv6Network,
    ip_address,
    ip_network,
)

from authorizers.errors import ConfigurationError

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_MAPPED_PREFIX = 96  # ::ffff:0:0/96 holds the IPv4-mapped addresses


def parse_address(text: str) -> IPAddress | None:
    """The address in ``text``, IPv4-mapped IPv6 turned into IPv4; ``None`` if not an address."""
    try:
        address = ip_address(text)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_network(text: str) -> IPNetwork:
    """A CIDR block from configuration. Host bits must be zero: ``10.0.0.1/8`` is probably a
    typo, and silently widening it to ``10.0.0.0/8`` would grant far more than intended."""
    try:
        network = ip_network(text.strip(), strict=True)
    except (TypeError, ValueError) as error:  # their messages quote the value: never repeat it
        why = "host bits set" if "host bits set" in str(error) else "not an address/prefix"
        raise ConfigurationError(f"not a CIDR block ({why})") from None
    return unmapped(network)


def unmapped(network: IPNetwork) -> IPNetwork:
    """An IPv4-mapped IPv6 network (``::ffff:10.0.0.0/104``) as the IPv4 network it covers."""
    if isinstance(network, IPv6Network) and network.prefixlen >= _MAPPED_PREFIX:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return IPv4Network((mapped, network.prefixlen - _MAPPED_PREFIX))
    return network


class CidrSet:
    """A set of networks answering ``address in cidr_set``."""

    def __init__(self, networks: Iterable[str | IPNetwork]) -> None:
        self.networks: tuple[IPNetwork, ...] = tuple(
            parse_network(net) if isinstance(net, str) else unmapped(net) for net in networks
        )
        # version -> prefix length -> network numbers shifted to the prefix
        self._table: dict[int, dict[int, set[int]]] = {4: {}, 6: {}}
        for network in self.networks:
            shift = network.max_prefixlen - network.prefixlen
            by_length = self._table[network.version]
            by_length.setdefault(network.prefixlen, set()).add(
                int(network.network_address) >> shift
            )

    def __contains__(self, address: object) -> bool:
        if not isinstance(address, IPv4Address | IPv6Address):
            return False
        number = int(address)
        bits = address.max_prefixlen
        return any(
            (number >> (bits - length)) in numbers
            for length, numbers in self._table[address.version].items()
        )

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __len__(self) -> int:
        return len(self.networks)


class CidrPolicy:
    """``permits(address)``: not in ``deny``, and in ``allow`` unless ``allow`` is empty."""

    def __init__(
        self, allow: Iterable[str | IPNetwork] = (), deny: Iterable[str | IPNetwork] = ()
    ) -> None:
        self.allow = CidrSet(allow)
        self.deny = CidrSet(deny)

    def __bool__(self) -> bool:
        return bool(self.allow) or bool(self.deny)

    def permits(self, address: IPAddress) -> bool:
        if address in self.deny:
            return False
        return not self.allow or address in self.allow
