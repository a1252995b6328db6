"""Utilities: mirrors ``torch.utils`` (``data``)."""
from . import data
