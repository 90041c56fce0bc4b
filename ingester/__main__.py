"""`python -m ingester` runs the CLI."""

from .cli import main

main()
