"""Helpers the tests share: a local HTTP server, sample feeds and pages, and drivers for
the real CLI and daemon. Tests import them from here, never from each other."""
