"""Signaal's services: ingest, classifier, router and api, plus the `signaal` command."""
