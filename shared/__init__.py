"""Signaal's common library: settings, database, pipeline, normalisation, logging, metrics."""
