"""What the tests and benchmarks share and the app never runs: synthetic studies at any scale.

Nothing under ``workbench/`` outside this package imports it (an import-linter contract in
pyproject.toml, run by tests/test_architecture.py), so it grows with the tests without
becoming part of the app.
"""
