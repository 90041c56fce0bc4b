"""WACZ validation with the `wacz` package, as a library (tests of `export --wacz`)."""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import warnings
from pathlib import Path


def validate(path: Path) -> tuple[int, str]:
    """``wacz validate``: its exit code and what it printed."""
    from wacz.main import validate_wacz

    printed = io.StringIO()
    # The library leaves the files it reads open, and its temporary folder to the
    # collector: their warnings are its own, collected here rather than in a later test.
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.simplefilter("ignore", ResourceWarning)
        code = validate_wacz(
            argparse.Namespace(file=str(path), verify_auth=False, verifier_url=None)
        )
        gc.collect()
    return code, printed.getvalue()
