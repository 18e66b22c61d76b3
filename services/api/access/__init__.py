"""Access: login throttling, API tokens and the admin's users and tokens pages and API."""
