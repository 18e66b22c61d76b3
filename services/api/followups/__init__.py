"""Follow-up pages: a signal's timeline with its forms, and the "my follow-ups" list."""
