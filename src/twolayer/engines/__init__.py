"""Training engines.

``reference``: plain NumPy, one readable step at a time. ``compiled``: the same mathematics as
whole-run Numba loops (:mod:`.kernels`). Both take the same pre-drawn SGD sample orders, so their
trajectories agree to rounding.
"""

ENGINES = ("auto", "numpy", "numba")
