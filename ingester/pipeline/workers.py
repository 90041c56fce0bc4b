"""Extraction worker processes: extraction is CPU work, so a process pool keeps the event
loop free; its workers die with the process that made them."""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor


def extraction_pool(workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool for extraction whose workers die with the process that made them.

    Workers are spawned by this process directly (not through a forkserver, which would
    outlive a SIGKILLed daemon together with its workers) and ask the kernel to kill them
    when their parent dies.
    """
    return ProcessPoolExecutor(
        max_workers=workers or os.cpu_count() or 1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_setup,
    )


def worker_setup() -> None:
    # Ctrl-C reaches the whole process group; the parent decides how to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    import ingester.extract  # noqa: F401  (trafilatura loads once per worker, up front)


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except OSError:
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)
