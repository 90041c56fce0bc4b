"""``ingester replay``: pywb, the replay engine web archivists use, over the archive's WARC
files where they lie (nothing is copied).

pywb lives in a virtualenv of its own (``.venv/replay``, made by ``make install``;
requirements/replay.in says why), so it is run, never imported: its indexer
(``cdx-indexer``) and its server (``wayback``), as subprocesses. What they need is in a
temporary folder that goes when replay stops: one CDXJ index per WARC file (``index/``)
and the ``config.yaml`` naming the one collection, ``archive``.

The daemon may go on writing meanwhile: a ``.open`` file grows, is closed (renamed
``….warc.gz``), a new one begins. Every few seconds the folder is listed again; each file
whose name is new or whose size changed is indexed again, by itself, and the index of a
name that went is removed. pywb reads its index folder at each request: no restart. A
growing file is indexed whole each time, so the pause between looks grows with the time
indexing takes (a ``.open`` file of 1 GB, the default rotation size, takes some 20 s).
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from ..errors import NotFound, ServeError
from ..fetch.records import warc_files
from ..fetch.warcfiles import SUFFIX

log = logging.getLogger("ingester")

DEFAULT_PORT = 8090
COLLECTION = "archive"
READY_TIMEOUT = 30.0  # seconds for pywb to answer; it takes 1-3 s
RESCAN = 2.0  # seconds between looks at the WARC folder, at the least
STOP_TIMEOUT = 10.0
LOG_LINES = 5  # of pywb's log, in an error that it failed
INDEXER, SERVER = "cdx-indexer", "wayback"
INSTALL_HINT = "pywb is not installed: `make install` sets it up (in .venv/replay)"


def replay_base(host: str, port: int) -> str:
    """The collection's root, which every replay URL starts with."""
    return f"http://{_url_host(host)}:{port}/{COLLECTION}/"


def timestamp14(captured_at: str) -> str:
    """A WARC-Date (``2026-12-02T13:44:44.803660Z``) as pywb's 14-digit timestamp."""
    return "".join(c for c in captured_at[:19] if c.isdigit())


def replay_url(base: str, captured_at: str, url: str) -> str:
    """The payload of the capture of ``url`` nearest ``captured_at``, as it was received
    (pywb's ``id_``: no rewriting, no banner). Two captures of one URL in one second
    have one timestamp: pywb gives one of them."""
    return f"{base.rstrip('/')}/{timestamp14(captured_at)}id_/{url}"


def pywb_bin() -> Path:
    """The folder holding pywb's commands: the replay virtualenv beside this one, else
    wherever ``wayback`` is on the PATH."""
    candidates = [Path(sys.prefix) / "replay" / "bin"]
    found = shutil.which(SERVER)
    if found:
        candidates.append(Path(found).parent)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in (INDEXER, SERVER)):
            return folder
    raise ServeError(INSTALL_HINT)


def index_name(warc: str) -> str:
    """The index ``cdx-indexer --output DIR/`` writes for a WARC file: its name less
    ``.warc.gz``, plus ``.cdx`` (a ``.open`` file keeps its whole name)."""
    return warc.removesuffix(SUFFIX) + ".cdx"


class Index:
    """One CDXJ index per WARC file of ``warcs``, in ``folder``, kept up with the files."""

    def __init__(self, warcs: Path, folder: Path, bin_dir: Path) -> None:
        self.warcs, self.folder, self.bin_dir = warcs, folder, bin_dir
        self._staging = folder.with_name(folder.name + ".new")
        self._indexed: dict[str, int] = {}  # WARC file name -> its size when indexed
        self._failed: dict[str, int] = {}  # -> its size when the indexer failed on it
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def files(self) -> int:
        return len(self._indexed)

    def refresh(self) -> list[str]:
        """Index the files that are new or changed since the last look and drop the index
        of those gone. Returns what the indexer said of each file it failed on: that file
        is tried again once it changes, the others are indexed all the same."""
        current: dict[str, int] = {}
        for path in warc_files(self.warcs):
            with contextlib.suppress(FileNotFoundError):  # closed since it was listed
                current[path.name] = path.stat().st_size
        self._failed = {n: size for n, size in self._failed.items() if current.get(n) == size}
        changed = sorted(
            name
            for name, size in current.items()
            if self._indexed.get(name) != size and name not in self._failed
        )
        failure = self._index(changed, current) if changed else None
        # Only now the index of a name that went: a file closed meanwhile is never missing.
        for gone in self._indexed.keys() - current.keys():
            (self.folder / index_name(gone)).unlink(missing_ok=True)
            del self._indexed[gone]
        if failure is None:
            return []
        failures = {changed[0]: failure}
        if len(changed) > 1:  # it failed on one of them at least: a run each finds which
            found = ((name, self._index([name], current)) for name in changed)
            failures = {name: problem for name, problem in found if problem is not None}
        self._failed.update((name, current[name]) for name in failures)
        return [f"{name}: {problem}" for name, problem in failures.items()]

    def _index(self, names: list[str], sizes: dict[str, int]) -> str | None:
        """Run the indexer on these files; what it said if it failed."""
        shutil.rmtree(self._staging, ignore_errors=True)
        self._staging.mkdir()
        # Written beside the live folder and moved in whole: pywb never reads half of one.
        done = subprocess.run(
            [str(self.bin_dir / INDEXER), "--sort", "--postappend", "--cdxj"]
            + ["--output", f"{self._staging}{os.sep}"]
            + [str(self.warcs / name) for name in names],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=_pywb_env(),
            check=False,
        )
        if done.returncode != 0:
            said = _last_lines(done.stderr.decode("utf-8", "replace"), 1)[:300]
            return said or f"exit {done.returncode}"
        for name in names:
            made = self._staging / index_name(name)
            if made.exists():
                os.replace(made, self.folder / index_name(name))
                self._indexed[name] = sizes[name]
        return None


def serve_replay(
    warcs: Path,
    host: str,
    port: int,
    ready: Callable[[str], None],
    timeout: float = READY_TIMEOUT,
) -> None:
    """Run pywb on the WARC files of ``warcs`` until Ctrl-C or SIGTERM (both end in
    KeyboardInterrupt), calling ``ready`` with the collection's URL once it answers."""
    bin_dir = pywb_bin()
    warcs = warcs.resolve()
    if not warc_files(warcs):
        raise NotFound(f"{warcs}: no WARC files yet (poll or fetch something first)")
    work = Path(tempfile.mkdtemp(prefix="ingester-replay-"))
    process: subprocess.Popen[bytes] | None = None
    restore = _stop_on_sigterm()
    try:
        index = Index(warcs, work / "index", bin_dir)
        for problem in index.refresh():
            log.warning("replay cannot index %s", problem)
        config = work / "config.yaml"  # JSON is YAML, and quotes every path for it
        collection = {"index_paths": f"{index.folder}{os.sep}", "archive_paths": f"{warcs}{os.sep}"}
        config.write_text(
            json.dumps({"collections": {COLLECTION: collection}, "enable_auto_colls": False}),
            encoding="utf-8",
        )
        server_log = work / "wayback.log"
        with server_log.open("wb") as output:
            process = subprocess.Popen(
                [str(bin_dir / SERVER), "-p", str(port), "-b", host],
                cwd=work,
                env={**_pywb_env(), "PYWB_CONFIG_FILE": str(config)},
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started = time.monotonic()
        _wait_ready(process, replay_base(_local(host), port), timeout, server_log)
        log.debug(
            "replay pywb=%d files=%d ready_after=%.2fs",
            process.pid,
            index.files,
            time.monotonic() - started,
        )
        ready(replay_base(host, port))
        _follow(process, index, server_log)
    finally:
        restore()
        if process is not None:
            _stop(process)
        shutil.rmtree(work, ignore_errors=True)


def _wait_ready(
    process: subprocess.Popen[bytes], url: str, timeout: float, server_log: Path
) -> None:
    """Until the collection's root answers 200: pywb logs that it listens before it does."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with opener.open(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError, http.client.HTTPException):
            pass  # not listening yet, or not answering yet
        with contextlib.suppress(subprocess.TimeoutExpired):
            code = process.wait(timeout=0.05)  # the pause between tries, and a watch
            raise ServeError(f"pywb exited {code} before it answered: {_tail(server_log)}")
    raise ServeError(f"pywb did not answer {url} within {timeout:g} s: {_tail(server_log)}")


def _follow(process: subprocess.Popen[bytes], index: Index, server_log: Path) -> None:
    """Keep the index up with the WARC folder while pywb runs; an error if it stops."""
    pause = RESCAN
    while True:
        try:
            code = process.wait(timeout=pause)
        except subprocess.TimeoutExpired:
            began = time.monotonic()
            for problem in index.refresh():  # each file once, until it changes
                log.warning("replay cannot index %s", problem)
            pause = max(RESCAN, 4 * (time.monotonic() - began))
            continue
        raise ServeError(f"pywb stopped (exit {code}): {_tail(server_log)}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _stop_on_sigterm() -> Callable[[], None]:
    """SIGTERM as Ctrl-C, so that both stop pywb and clear the temporary folder; returns
    what puts the previous handler back. (Signals are the main thread's only.)"""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def _pywb_env() -> dict[str, str]:
    """This environment, less what would put this virtualenv's modules into pywb's."""
    dropped = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE"}
    return {k: v for k, v in os.environ.items() if k not in dropped}


def _tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return _last_lines(text) or "(its log is empty)"


def _last_lines(text: str, count: int = LOG_LINES) -> str:
    """The last lines of a log, on one line (errors are one line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-count:])


def _local(host: str) -> str:
    """Where to reach a server listening on ``host`` from this machine."""
    return {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
