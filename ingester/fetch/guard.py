"""The SSRF guard and the HTTP transport: pages (and their redirects) may not lead to
private addresses.

A feed could send us to http://169.254.169.254/ (a cloud's metadata service) or to a
router on the LAN. A host name is checked by what it resolves to, in the connection
pool's own resolver, and the connection is made to that very address, so a name that
resolves to a public address for the check and a private one for the connection (DNS
rebinding) gets nowhere. An address written into the URL never reaches a resolver, so
it is checked before the request.

transport.py puts the two together: ``GuardedResolver`` in aiohttp's connector and
``GuardedTransport`` in front of it.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

import aiohttp
import httpx
from aiohttp.abc import AbstractResolver, ResolveResult

# Not covered by ipaddress's is_private in every Python: carrier-grade NAT (RFC 6598).
_EXTRA_BLOCKED = (ipaddress.ip_network("100.64.0.0/10"),)


class PrivateAddressError(OSError):
    """The host resolves to an address the guard does not allow."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EACCES, message)


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _EXTRA_BLOCKED if ip.version == network.version):
        return False
    return ip.is_global and not ip.is_multicast


def _refusal(host: str, addresses: list[str], setting: str) -> PrivateAddressError:
    resolved = "" if addresses == [host] else f" ({', '.join(addresses)})"
    return PrivateAddressError(
        f"refused: {host} is a private or local address{resolved}; set {setting} = true to allow it"
    )


class GuardedResolver(AbstractResolver):
    """Resolves names like the default resolver, then keeps only public addresses.

    ``setting`` is the one that lifts the guard for these requests, named in the refusal.
    """

    def __init__(self, setting: str = "private_pages") -> None:
        self._inner = aiohttp.ThreadedResolver()
        self._setting = setting

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        allowed = [r for r in found if is_public(r["host"])]
        if not allowed:
            raise _refusal(host, list(dict.fromkeys(r["host"] for r in found)), self._setting)
        return allowed

    async def close(self) -> None:
        await self._inner.close()


class GuardedTransport(httpx.AsyncBaseTransport):
    """Refuses URLs that name a private address outright; names go to the resolver."""

    def __init__(self, inner: httpx.AsyncBaseTransport, setting: str = "private_pages") -> None:
        self._inner = inner
        self._setting = setting

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        try:
            literal = str(ipaddress.ip_address(host))
        except ValueError:
            literal = None
        if literal is not None and not is_public(literal):
            cause = _refusal(host, [literal], self._setting)
            raise httpx.ConnectError(str(cause), request=request) from cause
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
