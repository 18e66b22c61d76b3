"""The ops dashboard: connector health, pipeline state and throughput, failed items, outbox, classifier."""
