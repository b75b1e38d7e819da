"""Settle's edges: channels and billing sources."""
