"""Ingest: connectors that bring citizens' messages in and store each exactly once."""
