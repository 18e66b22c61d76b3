"""Classifier errors a user or operator can act on; each docstring is the message's gist."""

from __future__ import annotations

from shared.exceptions import SignaalError


class ClassifierError(SignaalError):
    """The classifier could not do what was asked."""


class ModelArtefactError(ClassifierError):
    """A model folder is missing, incomplete, corrupted or does not match its manifest."""


class EncoderUnavailable(ClassifierError):
    """The configured encoder cannot be loaded (not installed, not local, or downloads are off)."""


class TrainingDataError(ClassifierError):
    """Training or evaluation data is unusable (missing columns, bad labels, one class only)."""
