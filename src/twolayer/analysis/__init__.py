"""Analysis: Hessian, minimum-norm interpolators, balancedness, alignment, phases of a loss curve,
kinks of 1D ReLU networks."""

from .alignment import alignment_directions, balance_errors, neuron_cosines, neuron_directions, neuron_pca, pl_ratio

from .balance import balance_drift, balance_gaps
from .linear import (dual_ratio_bound, max_margin, min_norm_interpolator, p_orthogonality,
                     p_orthogonality_guarantee, stable_rank)
from .laziness import relative_weight_change, signal_fraction
from .hessian import hessian_matrix, output_hessian_norm, output_hvp, stable_lr, top_eigenvalue
from .minnorm import min_norm_relu_2d, min_norm_relu_orthogonal
from .perceptron import gradient_jump, min_g_bound, perceptron_direction, perceptron_quantities
from .seeds import (band_of_best, flagged_sentence, per_seed_slopes, run_health, slope_sentence, spread, status_tag,
                    traj_health)
from .phases import first_below, fit_plateaus, loss_fraction_indices, plateaus, sample_fit_steps
from .univariate import bias_input_as_bias, kink_jumps, kinks, merged_kinks, relu_interpolant

__all__ = ["hessian_matrix", "top_eigenvalue", "stable_lr", "min_norm_relu_orthogonal",
           "balance_gaps", "balance_drift", "first_below", "fit_plateaus", "plateaus",
           "relative_weight_change", "signal_fraction", "output_hvp", "output_hessian_norm",
           "alignment_directions", "neuron_cosines", "balance_errors", "pl_ratio",
           "kinks", "kink_jumps", "merged_kinks", "relu_interpolant",
           "max_margin", "min_norm_interpolator", "p_orthogonality", "stable_rank",
           "perceptron_direction", "perceptron_quantities", "min_g_bound", "gradient_jump",
           "p_orthogonality_guarantee", "dual_ratio_bound", "sample_fit_steps", "bias_input_as_bias",
           "loss_fraction_indices", "min_norm_relu_2d", "neuron_pca", "neuron_directions", "run_health", "spread", "band_of_best",
           "traj_health", "flagged_sentence", "status_tag", "per_seed_slopes", "slope_sentence"]
