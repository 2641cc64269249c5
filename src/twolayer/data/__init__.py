"""Data sets: helpers, the seeds' fixed data, synthetic generators."""

from .core import with_bias
from .thesis import THESIS_SETS, thesis

__all__ = ["with_bias", "thesis", "THESIS_SETS"]
