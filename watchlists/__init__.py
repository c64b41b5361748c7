"""Bundled sample watchlists (data only; see README.md in this folder)."""
