"""twolayer: a laboratory for the training dynamics of two-layer neural networks.

>>> import twolayer as tl
>>> net = tl.init_net(d=2, width=60, activation="relu", scaling="none", init="balanced", scale=1e-3)
>>> run = tl.train(net, X, y, loss="square", optimizer=tl.GD(lr=1e-3), steps=10_000)  # doctest: +SKIP
"""

from importlib.metadata import PackageNotFoundError, version

from . import analysis, data, ntk
from .errors import DataUnavailable, DivergenceError, FlowStalled, InvalidParameter, TwolayerError, TwolayerWarning
from .init import init_net
from .net import Net
from .objective import Objective
from .optim import GD, SGD, Adam, Flow
from .study import Study
from .sweep import train_many
from .train import train
from .trajectory import Trajectory, log_steps



def __getattr__(name):
    """``tl.plots`` and ``tl.theory`` on first use (Matplotlib, and the theory twins' compiled loop,
    which plain training does not need)."""
    if name in ("plots", "theory"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'twolayer' has no attribute {name!r}")


try:
    __version__ = version("twolayer")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Net", "init_net", "train", "train_many", "Study", "Trajectory", "log_steps", "GD", "SGD", "Adam", "Flow", "Objective",
           "TwolayerError", "TwolayerWarning", "InvalidParameter", "DivergenceError", "FlowStalled", "DataUnavailable", "analysis", "data", "ntk", "plots", "__version__"]
