"""Signals: flagged messages as staff see and act on them."""
