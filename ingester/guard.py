"""The SSRF guard: article pages (and their redirects) may not lead to private addresses.

A feed could send us to http://169.254.169.254/ (a cloud's metadata service) or to a
router on the LAN. The check runs on the address a name resolves to, at connect time,
and the connection is made to that very address, so a name that resolves to a public
address for the check and a private one for the connection (DNS rebinding) gets nowhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

# Not covered by ipaddress's is_private in every Python: carrier-grade NAT (RFC 6598).
_EXTRA_BLOCKED = (ipaddress.ip_network("100.64.0.0/10"),)


class PrivateAddressError(httpcore.ConnectError):
    """The host resolves to an address the guard does not allow."""


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _EXTRA_BLOCKED if ip.version == network.version):
        return False
    return ip.is_global and not ip.is_multicast


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to public addresses; resolves the name itself to know which."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        allowed = [a for a in addresses if is_public(a)]
        if not allowed:
            raise PrivateAddressError(
                f"refused: {host} is a private or local address ({', '.join(addresses)}); "
                "set private_pages = true to allow it"
            )
        return await self._inner.connect_tcp(
            allowed[0], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise PrivateAddressError("refused: unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport, its connection pool given the guarded network backend."""
    transport = httpx.AsyncHTTPTransport(limits=limits)
    # httpx 0.28 builds the httpcore pool itself with no way to pass a network backend,
    # so the pool is rebuilt the same way with one.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=GuardedBackend(),
    )
    return transport
