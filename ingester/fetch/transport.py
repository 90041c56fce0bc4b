"""httpx's transport interface on aiohttp's connection pool.

The fetcher speaks httpx (``httpx.Request`` in, ``httpx.Response`` out), so tests replace
the network with respx. Behind that interface, aiohttp keeps the connections: with
thousands of hosts it is several times faster than httpx's own pool
(docs/performance.md). This transport does only what a GET needs: no request bodies,
proxies or cookies; aiohttp's failures come out as the httpx errors they are, with the
aiohttp error kept as the cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiohttp
import httpx

from .guard import GuardedResolver, GuardedTransport

SessionFactory = Callable[[], aiohttp.ClientSession]

# aiohttp's failures as httpx's, most specific first (a ServerTimeoutError is also a
# ClientConnectionError, a ClientConnectorError also an OSError).
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ClientPayloadError, httpx.ReadError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # a malformed response
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientError, httpx.NetworkError),
    (asyncio.TimeoutError, httpx.TimeoutException),
    (OSError, httpx.NetworkError),
)


@contextlib.contextmanager
def _as_httpx(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except httpx.HTTPError:
        raise
    except Exception as e:
        kind = next((mapped for error, mapped in _ERRORS if isinstance(e, error)), None)
        if kind is None:
            raise
        raise kind(str(e) or type(e).__name__, request=request) from e


class _Body(httpx.AsyncByteStream):
    """The response body as aiohttp receives it; closing hands the connection back (or
    drops it, when the body was not read to the end)."""

    def __init__(self, request: httpx.Request, response: aiohttp.ClientResponse) -> None:
        self._request = request
        self._response = response

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx(self._request):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        self._response.release()


def _wire_headers(headers: httpx.Headers) -> list[tuple[str, str]]:
    """The headers with their names as written (httpx's own views lower-case them)."""
    encoding = headers.encoding
    return [(name.decode(encoding), value.decode(encoding)) for name, value in headers.raw]


def _wire_facts(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """What a capture of record needs beyond status and headers (capture.py): the protocol
    and reason as received, the headers aiohttp actually sent, and the server's address,
    read now, while the connection is still the response's."""
    connection = response.connection
    peer = (
        connection.transport.get_extra_info("peername")
        if connection and connection.transport
        else None
    )
    version = response.version or aiohttp.HttpVersion11
    return {
        "http_version": f"HTTP/{version.major}.{version.minor}".encode("ascii"),
        "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
        "sent_headers": [(str(k), str(v)) for k, v in response.request_info.headers.items()],
        "peer": peer[0] if peer else None,
    }


class AiohttpTransport(httpx.AsyncBaseTransport):
    """GET requests over one aiohttp session, made on first use (inside the running loop)."""

    def __init__(self, session: SessionFactory) -> None:
        self._open = session
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self._session is None:
            self._session = self._open()
        with _as_httpx(request):
            response = await self._session.request(
                request.method,
                str(request.url),
                headers=_wire_headers(request.headers),
                allow_redirects=False,
                timeout=self._timeout(request.extensions.get("timeout", {})),
            )
        return httpx.Response(
            response.status,
            headers=response.raw_headers,
            stream=_Body(request, response),
            request=request,
            extensions=_wire_facts(response),
        )

    def _timeout(self, phases: dict[str, float | None]) -> aiohttp.ClientTimeout:
        """httpx's per-phase timeouts in aiohttp's terms; the whole request's bound is the
        caller's (client.py)."""
        key = (phases.get("connect"), phases.get("read"))
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, sock_connect=key[0], sock_read=key[1]
            )
        return timeout

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def http_transport(guarded: bool, setting: str = "private_pages") -> httpx.AsyncBaseTransport:
    """The network, guarded against private addresses (guard.py) or not; ``setting`` is the
    one a refusal names as lifting the guard."""
    context = httpx.create_ssl_context()

    def session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=_connector(context, guarded, setting),
            auto_decompress=False,  # the body is decoded within its size cap (decode.py)
            cookie_jar=aiohttp.DummyCookieJar(),  # a feed reader keeps no cookies
            trust_env=False,
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),  # ours or none
        )

    transport = AiohttpTransport(session)
    return GuardedTransport(transport, setting) if guarded else transport


def _connector(context: ssl.SSLContext, guarded: bool, setting: str) -> aiohttp.TCPConnector:
    options: dict[str, Any] = {"resolver": GuardedResolver(setting)} if guarded else {}
    # No limits here: HostGate bounds requests per host and the pipeline bounds feeds and
    # pages in flight, so a second, silent queue in the pool would only hide waiting.
    return aiohttp.TCPConnector(ssl=context, limit=0, limit_per_host=0, **options)
