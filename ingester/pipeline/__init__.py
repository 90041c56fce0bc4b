"""The one place that connects the stages. ``run`` holds the calls, ``decide`` the rules
they follow, ``workers`` the extraction processes, and ``wiring`` builds it all."""

from .run import Pipeline
from .wiring import open_captures, open_pipeline
from .workers import extraction_pool, worker_setup

__all__ = ["Pipeline", "extraction_pool", "open_captures", "open_pipeline", "worker_setup"]
