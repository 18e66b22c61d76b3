"""The client's address, for rate limits and the login throttle.

Forwarded headers are anyone's to write, so they count only when the direct peer
is one of the proxies in SIGNAAL_TRUSTED_PROXIES; then the client is the right-most
address in the chain that is not itself a trusted proxy (the one the outermost
trusted proxy saw). uvicorn runs with its own proxy handling off (services.runtime),
so `request.client` is always the direct peer here.
"""

from __future__ import annotations

import functools
import ipaddress
import re

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# `for=` in an RFC 7239 element: a token or a quoted string.
_FORWARDED_FOR = re.compile(r'(?:^|;)\s*for\s*=\s*("[^"]*"|[^;,\s]*)', re.IGNORECASE)
# A key, not an address to show: long junk from a misbehaving proxy is cut.
MAX_ADDRESS_LENGTH = 64


@functools.lru_cache(maxsize=8)
def parse_networks(value: str) -> tuple[Network, ...]:
    """`"10.0.0.1, 192.168.0.0/16"` → networks; ValueError names an entry that is no IP or CIDR."""
    networks = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or CIDR range") from None
    return tuple(networks)


def peer(request: Request) -> str | None:
    """The address of the direct peer (the last hop), never a forwarded one."""
    return request.client.host if request.client else None


def is_loopback(address: str | None) -> bool:
    """Whether the address is this machine."""
    parsed = _ip(address or "")
    return parsed is not None and parsed.is_loopback


def client_address(request: Request) -> str:
    """The client's address; forwarded headers are believed only from a trusted proxy."""
    direct = peer(request)
    if direct is None:
        return "unknown"
    trusted = parse_networks(request.app.state.settings.trusted_proxies)
    if not _is_trusted(direct, trusted):
        return direct
    chain = forwarded_chain(request)
    for hop in reversed(chain):
        if not _is_trusted(hop, trusted):
            return hop[:MAX_ADDRESS_LENGTH]
    # Every hop is a trusted proxy (or there are none): the left-most is the furthest we know.
    return chain[0][:MAX_ADDRESS_LENGTH] if chain else direct


def forwarded_chain(request: Request) -> list[str]:
    """The forwarded-for addresses, client first: from `Forwarded` if sent, else `X-Forwarded-For`."""
    forwarded = ",".join(request.headers.getlist("forwarded"))
    if forwarded.strip():
        hops = []
        for element in forwarded.split(","):
            match = _FORWARDED_FOR.search(element.strip())
            if match:
                hops.append(_host_only(match.group(1).strip('"')))
        return [hop for hop in hops if hop]
    x_forwarded_for = ",".join(request.headers.getlist("x-forwarded-for"))
    return [hop for hop in (_host_only(item) for item in x_forwarded_for.split(",")) if hop]


def _host_only(value: str) -> str:
    """`[2001:db8::1]:4711` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`; anything else as given."""
    value = value.strip()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    if value.count(":") == 1:
        return value.partition(":")[0]
    return value


def _ip(value: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    parsed = _ip(address)
    return parsed is not None and any(parsed in network for network in trusted)
