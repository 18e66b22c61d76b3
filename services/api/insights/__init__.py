"""Insights for front office and admins: volume, flag rate, time to first contact, patterns."""
