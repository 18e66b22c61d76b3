"""Intake over HTTP: the public web form, its JSON twin for embedding, and signed webhooks."""
