"""A cluster on one machine: daemons each in a network namespace of its own, with an
address and a host name of its own, sharing one PostgreSQL archive and one WARC folder,
polling a site that nginx serves. The cluster test (tests/e2e/test_cluster.py) and
``make bench-cluster`` (bench/cluster_bench.py) both build it here.

The network is namespaces only: this machine's own namespace may refuse connections
from others (a sandbox's firewall does), so the servers live in one of their own. A
bridge in a "switch" namespace joins, by veth pairs, the servers' namespace (``192.0.2.1``,
TEST-NET-1 of RFC 5737, where PostgreSQL listens, and the site's hosts on TEST-NET-2,
bench/site.py's ``test_net_address``) and each node's (``192.0.2.11``, ``.12``, …).
This process reaches PostgreSQL by its Unix socket, a file. Every name made is unique
to this process and everything is taken down afterwards. Needs root, iproute2 and
util-linux's ``unshare`` (a host name per node: what sets machines apart in the
captures' file names and the poll records).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from bench import site

BRIDGE_NET = "192.0.2"
GATEWAY = f"{BRIDGE_NET}.1"
STOP_GRACE = 20.0


def missing() -> str | None:
    """Why a cluster cannot be built here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "unshare"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


class Network:
    """The switch, the servers' namespace with the site's addresses, and ``nodes``
    namespaces, all on one bridge."""

    def __init__(self, nodes: int, site_addresses: Sequence[str]) -> None:
        tag = f"ing{os.getpid() % 100_000}"
        self.switch = f"{tag}sw"
        self.servers = f"{tag}srv"
        self.namespaces = [f"{tag}n{i}" for i in range(nodes)]
        self.site_addresses = list(site_addresses)
        self._made: list[str] = []  # namespaces to take down

    def node_address(self, index: int) -> str:
        return f"{BRIDGE_NET}.{11 + index}"

    def up(self) -> None:
        for namespace in (self.switch, self.servers, *self.namespaces):
            _ip("netns", "add", namespace)
            self._made.append(namespace)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        self._join(self.servers, "s", [f"{GATEWAY}/24", *(f"{a}/32" for a in self.site_addresses)])
        site_net = f"{site.TEST_NET}.0/24"
        for index, namespace in enumerate(self.namespaces):
            self._join(namespace, str(index), [f"{self.node_address(index)}/24"])
            _ip("-n", namespace, "route", "add", site_net, "via", GATEWAY)

    def _join(self, namespace: str, port: str, addresses: Sequence[str]) -> None:
        """A veth pair from the switch's bridge to ``namespace``'s ``eth0``."""
        _ip("-n", self.switch, "link", "add", f"p{port}", "type", "veth",
            "peer", "name", "eth0", "netns", namespace)  # fmt: skip
        _ip("-n", self.switch, "link", "set", f"p{port}", "master", "br0", "up")
        for address in addresses:
            _ip("-n", namespace, "addr", "add", address, "dev", "eth0")
        _ip("-n", namespace, "link", "set", "eth0", "up")
        _ip("-n", namespace, "link", "set", "lo", "up")

    def down(self) -> None:
        """Each namespace goes with its end of every veth pair, and the pair with it."""
        while self._made:
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip("netns", "del", self._made.pop())

    def in_servers(self) -> list[str]:
        """The prefix that runs a command in the servers' namespace."""
        return ["ip", "netns", "exec", self.servers]

    def answers(self, url: str) -> bool:
        """Whether ``url`` answers 200 to a client in the first node's namespace (this
        namespace may not reach the servers')."""
        probe = f"import urllib.request as u; u.urlopen({url!r}, timeout=2)"
        argv = self.command(0, "probe", [sys.executable, "-c", probe])
        return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode == 0

    def command(self, index: int, host_name: str, argv: Sequence[str]) -> list[str]:
        """``argv`` run in node ``index``'s namespace, on a host name of its own."""
        return [
            "ip", "netns", "exec", self.namespaces[index],
            "unshare", "--uts", "--",
            "sh", "-c", 'hostname "$0" && exec "$@"', host_name, *argv,
        ]  # fmt: skip


@contextlib.contextmanager
def network(nodes: int, site_addresses: Sequence[str]) -> Iterator[Network]:
    net = Network(nodes, site_addresses)
    try:
        net.up()
        yield net
    finally:
        net.down()


class Node:
    """One daemon of the cluster: its own process group, so that it and its pollers are
    stopped (or killed, a machine lost) together, by its PID."""

    def __init__(self, name: str, argv: Sequence[str], log: Path, env: dict[str, str]) -> None:
        self.name = name
        self.log = log
        self._out = log.open("wb")
        self.proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL to the node and its pollers at once: nothing gets to clean up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=STOP_GRACE)

    def stop(self) -> int:
        """SIGTERM, as an operator stops a daemon; SIGKILL after the grace period."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.kill()
        # Pollers the daemon left behind, if any, go with the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self._out.close()
        return int(self.proc.returncode)

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def node_config(layout: site.Layout, settings: Sequence[str]) -> str:
    """The config every node runs with: ``settings`` lines, then the site's feeds."""
    feeds = "".join(
        f'\n[[feeds]]\nurl = "{layout.feed_url(n)}"\nname = "feed{n}"\n'
        for n in range(layout.feeds)
    )
    return "[settings]\n" + "\n".join(settings) + "\n" + feeds


def node_env() -> dict[str, str]:
    """The environment a node runs in: no INGESTER_ settings of this shell, no proxy."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INGESTER_")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    return env


def wait_until(condition: Callable[[], object], timeout: float, every: float = 0.05) -> bool:
    """Call ``condition`` until it is true or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def timing_rows(log: Path) -> list[tuple[float, float, str, str, int, str]]:
    """nginx's timing log (bench/site.py): (start, end, host, client, status, path)."""
    rows = []
    for line in log.read_text().splitlines():
        ended, took, host, client, status, path = line.split(" ", 5)
        end = float(ended)
        rows.append((end - float(took), end, host, client, int(status), path))
    return sorted(rows)
