"""Theory twins of the simulations: the high-dimensional ODE limit of online SGD in the teacher-student
setup (:mod:`.online_ode`), its Gaussian integrals (:mod:`.gaussian`) and a compiled online-SGD loop
(:mod:`.online_sgd`) to compare it with."""

from . import gaussian
from .online_ode import OnlineODE, covariance, eps_g, fixed_point_growth_rate, integrate, order_parameters
from .online_sgd import simulate, simulate_many, student_with_overlaps, teacher

__all__ = ["gaussian", "OnlineODE", "covariance", "eps_g", "fixed_point_growth_rate", "integrate", "order_parameters",
           "simulate", "simulate_many", "student_with_overlaps", "teacher"]
