"""The experiment registry: every experiment of the seed documents, by name."""

from __future__ import annotations

from ..errors import InvalidParameter, closest
from .base import Context, Experiment

EXPERIMENTS: dict[str, Experiment] = {}


def register(experiment: Experiment) -> Experiment:
    EXPERIMENTS[experiment.name] = experiment
    return experiment


def get_experiment(name: str) -> Experiment:
    if name not in EXPERIMENTS:
        raise InvalidParameter("experiment", name, "no such experiment" + closest(name, tuple(EXPERIMENTS))
                               + "; 'twolayer list' lists them")
    return EXPERIMENTS[name]


from . import (activation_dynamics, gradient_checks, hessian_scaling, init_scale, init_scale_transition, max_margin,  # noqa: E402,F401
               label_geometry, mnist_stable_rank, multidim,
               non_orthogonal_1d, ntk_concentration, overparam,
               perceptron, relu_1d, saddle_to_saddle, stable_rank, thesis, thesis_grids)
from . import non_orthogonal_full, online_teacher_student, relu_interpolators, s_curves, smooth_activations  # noqa: E402,F401  # (modules register themselves)

__all__ = ["EXPERIMENTS", "register", "get_experiment", "Experiment", "Context"]
