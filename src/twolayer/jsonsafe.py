"""JSON-safe values: what results files and the playground's messages are written from."""

from __future__ import annotations

import math

import numpy as np


def json_safe(value):
    """``value`` with numpy arrays and scalars turned into Python lists and numbers, recursively
    through dicts, lists and tuples, and every non-finite float into None (JSON has no NaN or inf)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
