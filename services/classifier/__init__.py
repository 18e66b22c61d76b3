"""Classifier: scores each message for dissatisfaction and says why."""
