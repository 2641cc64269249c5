"""Training engines. ``reference``: plain NumPy, one readable step at a time."""

ENGINES = ("auto", "numpy", "numba")
