"""Processes the benchmark starts: finding their children, their peak memory, stopping them.

Everything the harness starts is stopped by its PID (and its children's PIDs, found in
/proc), never by name, so a benchmark cannot touch anything else on the machine.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat from field 3 on, or None when the process is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    return stat[stat.rindex(")") + 2 :].split()


def parent_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[1])


def start_time(pid: int) -> int | None:
    """When the process started (clock ticks since boot): with the PID, names it uniquely."""
    fields = _stat_fields(pid)
    return None if fields is None else int(fields[19])


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time the process has used so far, or None when it is gone."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, children before grandchildren."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            ppid = parent_of(int(entry.name))
            if ppid is not None:
                children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    queue = [pid]
    while queue:
        below = children.get(queue.pop(0), [])
        found += below
        queue += below
    return found


def _proc_field(pid: int, file: str, key: str) -> str | None:
    """The value of a ``key: value`` line of /proc/<pid>/<file>, or None."""
    try:
        lines = (PROC / str(pid) / file).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        name, _, value = line.partition(":")
        if name == key:
            return value
    return None


def status_kib(pid: int, key: str) -> int | None:
    """A ``kB`` figure from /proc/<pid>/status (``VmHWM``: peak resident set), or None."""
    value = _proc_field(pid, "status", key)
    return None if value is None else int(value.split()[0])


def cmdline(pid: int) -> str:
    try:
        raw = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def open_paths(pid: int) -> set[str]:
    """The files ``pid`` holds open, by the paths /proc shows for them (empty when it is
    gone or not ours to look at)."""
    paths = set()
    try:
        entries = list((PROC / str(pid) / "fd").iterdir())
    except OSError:
        return set()
    for entry in entries:
        with contextlib.suppress(OSError):  # closed since the listing
            paths.add(os.readlink(entry))
    return paths


def io_counter(pid: int, key: str) -> int | None:
    """A counter from /proc/<pid>/io (``wchar``: bytes passed to write() and its kin)."""
    value = _proc_field(pid, "io", key)
    return None if value is None else int(value)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.kill(pid, signum)


def stop(proc: subprocess.Popen[bytes], signum: int = signal.SIGTERM, grace: float = 10.0) -> int:
    """Ask ``proc`` to stop; after ``grace`` seconds kill it. Its descendants, noted first
    (once it dies they are re-parented), get a moment to follow and are then killed.

    Returns its exit code (negative: the signal that ended it).
    """
    if proc.poll() is not None:
        return proc.returncode
    below = {pid: start_time(pid) for pid in descendants(proc.pid)}
    _signal(proc.pid, signum)
    try:
        code = proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal(proc.pid, signal.SIGKILL)
        code = proc.wait(timeout=grace)
    deadline = time.monotonic() + 2.0
    while below and time.monotonic() < deadline:
        below = {pid: t for pid, t in below.items() if t is not None and start_time(pid) == t}
        time.sleep(0.05)
    for pid in below:  # still the same processes (same start time): not a reused PID
        _signal(pid, signal.SIGKILL)
    return code
