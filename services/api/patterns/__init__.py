"""Patterns for team leads: same-problem groups and other signals from the same sender."""
