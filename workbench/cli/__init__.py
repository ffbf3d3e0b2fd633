"""The ``workbench`` command line: ``app`` assembles one module per command group.

``main`` is the console script's entry point (``workbench.cli:main``) and what tests call.
"""

from workbench.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
