"""Theory twins of the simulations: the high-dimensional ODE limit of online SGD in the teacher-student
setup (:mod:`.online_ode`), its Gaussian integrals (:mod:`.gaussian`), a compiled online-SGD loop
(:mod:`.online_sgd`) to compare it with, and the lazy (linearised) twin of any run (:mod:`.lazy`)."""

from . import gaussian
from .lazy import LazyTwin, infinite_width_ntk, init_law, jacobian, laziness_scale, lazy_twin, tangent_gram
from .online_ode import OnlineODE, covariance, eps_g, fixed_point_growth_rate, integrate, order_parameters
from .online_sgd import simulate, simulate_many, student_with_overlaps, teacher

__all__ = ["gaussian", "OnlineODE", "covariance", "eps_g", "fixed_point_growth_rate", "integrate", "order_parameters",
           "simulate", "simulate_many", "student_with_overlaps", "teacher",
           "LazyTwin", "infinite_width_ntk", "init_law", "jacobian", "laziness_scale", "lazy_twin", "tangent_gram"]
