"""The daemon: APScheduler ticks (``ticker``), poller processes that do the polls
(``pollers``), and the heartbeat's verdict (``health``)."""

from .health import daemon_health
from .ticker import Ticker, poll_once, run_daemon

__all__ = ["Ticker", "daemon_health", "poll_once", "run_daemon"]
