"""Figures: one module per kind of picture. Functions draw on a given Axes and return it."""

from .curves import loss_curve, mean_band, train_test_curves
from .sheet import figure_sheet
from .fields import function_map, grid
from .neurons import orientation_plane, weight_plane
from .particles import animate_particles, particle_paths, particle_positions, particles
from .style import label, log_loss_axis, new_figure, save_figure
from .univariate import predictor_1d

__all__ = ["label", "loss_curve", "orientation_plane", "new_figure", "save_figure", "function_map", "grid", "particles",
           "particle_paths", "particle_positions", "animate_particles", "train_test_curves", "predictor_1d", "figure_sheet", "weight_plane", "mean_band", "log_loss_axis"]
