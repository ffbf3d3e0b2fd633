"""Suggestion engines (Qt-free): one interface, a local engine and the Claude engine."""
