"""API: the staff web UI, the REST API, health and metrics."""
