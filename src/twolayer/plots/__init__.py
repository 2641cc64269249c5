"""Figures: one module per kind of picture. Functions draw on a given Axes and return it."""

from .curves import loss_curve
from .neurons import orientation_plane
from .style import new_figure, save_figure

__all__ = ["loss_curve", "orientation_plane", "new_figure", "save_figure"]
