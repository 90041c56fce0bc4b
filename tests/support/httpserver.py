"""A programmable HTTP server on 127.0.0.1 for end-to-end tests.

Standard library only, so the tests exercise the real client stack (httpx, sockets,
gzip decoding, conditional requests) against a real server rather than a mock transport.

    with LocalServer() as server:
        server.set_text("/feed.xml", rss, "application/rss+xml", headers={"ETag": '"v1"'})
        run_the_cli(server.url("/feed.xml"))
        assert server.hits("/feed.xml") == 1

Responses are HTTP/1.1 with keep-alive; ``stop()`` closes idle keep-alive connections,
wakes handlers that are sleeping out a ``Route.delay`` and joins every thread, so a test
that stops its server leaves no threads or sockets behind.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import sys
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

# Bodies at or below this size are sent as they are, like most servers do.
GZIP_MIN_SIZE = 200


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes
    status: int = 200
    # e.g. Content-Type, ETag, Last-Modified, Location. Content-Length is computed,
    # unless set here: then it is sent as given and the connection is closed after
    # the body (for tests of declared sizes that don't match the body).
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (for timeout tests); stop() cuts it short.
    delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    path: str  # the full request target, query string included
    method: str
    headers: dict[str, str]  # names lower-cased; repeated fields joined with ", "
    client_port: int = 0  # the same port again: the same connection, kept alive


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 and an ephemeral port, answering from a route table."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, Route] = {}
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.requests: list[RecordedRequest] = []
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler, owner=self)
        port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}"

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None or self._stopping.is_set():
            raise RuntimeError("a LocalServer can be started only once")
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"LocalServer {self.base_url}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close open connections and join all threads. Idempotent."""
        with self._lock:
            if self._stopping.is_set():
                return
            self._stopping.set()
            connections = list(self._connections)
        if self._thread is not None:
            self._httpd.shutdown()
        # Idle keep-alive connections block their handler thread in a read; shutting the
        # socket down ends that read so server_close() can join the thread.
        for conn in connections:
            _shutdown_socket(conn)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- routes -----------------------------------------------------------------------

    def url(self, path: str) -> str:
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    def set(self, path: str, route: Route) -> None:
        """Serve ``route`` at ``path`` (without query string), replacing any previous one."""
        with self._lock:
            self._routes[path] = route

    def set_text(
        self,
        path: str,
        text: str,
        content_type: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Serve ``text``, encoded in the charset named by ``content_type`` (UTF-8 if none)."""
        all_headers = {"Content-Type": content_type, **(headers or {})}
        body = text.encode(_charset(content_type) or "utf-8")
        self.set(path, Route(body=body, status=status, headers=all_headers, delay=delay))

    def hits(self, path: str) -> int:
        """Requests made for ``path``; the query string is compared only if ``path`` has one."""
        with self._lock:
            recorded = [r.path for r in self.requests]
        if "?" in path:
            return sum(1 for p in recorded if p == path)
        return sum(1 for p in recorded if urlsplit(p).path == path)

    # -- used by the handler ----------------------------------------------------------

    def _route(self, path: str) -> Route | None:
        with self._lock:
            return self._routes.get(path)

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _register(self, conn: socket.socket) -> None:
        with self._lock:
            if not self._stopping.is_set():
                self._connections.add(conn)
                return
        _shutdown_socket(conn)  # accepted while stopping: don't serve it

    def _unregister(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)


class _HTTPServer(ThreadingHTTPServer):
    # Non-daemon handler threads are joined by server_close(), so stop() leaves none behind.
    daemon_threads = False
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        owner: LocalServer,
    ) -> None:
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        # A client that gave up (a timeout test) or a connection cut by stop() is expected;
        # anything else is a bug in this module and gets the default traceback.
        if self.owner._stopping.is_set() or isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Safety net: an idle connection is dropped after this many seconds.
    timeout = 30

    @property
    def _owner(self) -> LocalServer:
        server = self.server
        assert isinstance(server, _HTTPServer)
        return server.owner

    def setup(self) -> None:
        super().setup()
        self._owner._register(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self._owner._unregister(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        owner = self._owner
        request_headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            request_headers[key] = (
                f"{request_headers[key]}, {value}" if key in request_headers else value
            )
        owner._record(
            RecordedRequest(self.path, self.command, request_headers, self.client_address[1])
        )

        route = owner._route(urlsplit(self.path).path)
        if route is None:
            self._send(
                404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found\n", send_body
            )
            return
        if route.delay > 0 and owner._stopping.wait(route.delay):
            self.close_connection = True  # stopping: drop the request unanswered
            return

        headers = dict(route.headers)
        if 200 <= route.status < 300 and _not_modified(request_headers, headers):
            kept = {k: v for k, v in headers.items() if k.lower() in _NOT_MODIFIED_HEADERS}
            self._send(304, kept, None, send_body)
            return

        body = route.body
        if (
            _accepts_gzip(request_headers.get("accept-encoding", ""))
            and _header(headers, "Content-Encoding") is None
            and len(body) > GZIP_MIN_SIZE
        ):
            body = gzip.compress(body, mtime=0)
            headers["Content-Encoding"] = "gzip"
            if _header(headers, "Vary") is None:
                headers["Vary"] = "Accept-Encoding"
        self._send(route.status, headers, body, send_body)

    def _send(
        self, status: int, headers: dict[str, str], body: bytes | None, send_body: bool
    ) -> None:
        self.send_response(status, _reason(status))
        declared = _header(headers, "Content-Length")
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        if body is not None:
            if declared is not None:
                self.send_header("Content-Length", declared)
                self.close_connection = True  # the body may not match: end it by closing
            else:
                self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body is not None and send_body:
            self.wfile.write(body)
        self.wfile.flush()


# RFC 9110 section 15.4.5: a 304 carries the validators and caching headers of the 200.
_NOT_MODIFIED_HEADERS = frozenset(
    {"etag", "last-modified", "cache-control", "expires", "vary", "content-location", "date"}
)


def _not_modified(request: dict[str, str], route_headers: dict[str, str]) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match wins; If-Modified-Since only without it."""
    etag = _header(route_headers, "ETag")
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        if etag is None:
            return False
        tags = [t.strip() for t in if_none_match.split(",")]
        # If-None-Match uses the weak comparison (section 8.8.3.2).
        return "*" in tags or _weak(etag) in {_weak(t) for t in tags}
    last_modified = _header(route_headers, "Last-Modified")
    if_modified_since = request.get("if-modified-since")
    return last_modified is not None and if_modified_since == last_modified


def _weak(tag: str) -> str:
    return tag.removeprefix("W/")


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        coding, _, params = item.partition(";")
        if coding.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().lower().removeprefix("q=").strip()
            return q == "" or _q_value(q) > 0
    return False


def _q_value(q: str) -> float:
    try:
        return float(q)
    except ValueError:
        return 1.0


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _charset(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _shutdown_socket(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by the client
        conn.shutdown(socket.SHUT_RDWR)
