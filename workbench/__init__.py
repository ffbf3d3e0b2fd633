"""Workbench: qualitative coding of interview transcripts with suggested codes and agreement."""

__version__ = "0.1.0"
