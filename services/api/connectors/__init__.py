"""Connector health and the email outbox, for ops: `GET /api/v1/connectors`, metrics, the CLI table."""
