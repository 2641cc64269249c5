"""``twolayer train``: an ad-hoc run from command-line flags, written as a results folder."""

from __future__ import annotations

import time
import warnings


import json
import types
from pathlib import Path

from .analysis.scalars import RunResult, relative_weight_change
from .data import load
from .data.files import content_hash, is_data_file, label_error
from .errors import Interrupted, InvalidParameter, TwolayerWarning, check_choice
from .experiments import Context
from .init import init_net
from .optim import GD, SGD, Adam, Flow
from .plots import loss_curve, new_figure, orientation_plane
from .outdir import ResultsFolder, check_out
from .provenance import provenance
from .results import write_json, write_report
from .train import execute, prepare
from .trajectory import Trajectory


def make_optimizer(name: str, lr: float, momentum: float = 0.0, batch_size: int = 1):
    check_choice("optimizer", name, ("gd", "sgd", "adam", "flow"))
    return {"gd": lambda: GD(lr, momentum), "sgd": lambda: SGD(lr, batch_size, momentum),
            "adam": lambda: Adam(lr), "flow": lambda: Flow()}[name]()


def train_adhoc(args):
    """Run the training the flags describe; return (folder, metrics).

    Everything is validated (the output folder first) before any allocation or folder is made."""
    check_out(args.out)
    X, y, Xt, yt = load(args.data, seed=args.seed, label=args.label, labels=args.labels, test=args.test,
                        test_labels=args.test_labels)
    init_seed = args.seed if args.init_seed is None else args.init_seed
    order_seed = args.seed if args.order_seed is None else args.order_seed
    net = init_net(X.shape[1], args.width, args.activation, args.scaling, bias=args.bias, init=args.init,
                   scale=args.scale, outer_scale=args.outer_scale, slope=args.slope, seed=init_seed)
    opt = make_optimizer(args.optimizer, args.lr, args.momentum, args.batch_size)
    flow = isinstance(opt, Flow)
    trainable = None if args.trainable is None else tuple(t.strip() for t in args.trainable.split(","))
    try:
        spec = prepare(net, X, y, loss=args.loss, reduction=args.reduction, weight_decay=args.weight_decay,
                       trainable=trainable, optimizer=opt, steps=None if flow else args.steps,
                       t_max=args.t_max if flow else None, record_every=args.record_every,
                       engine=args.engine, seed=order_seed, X_test=Xt, y_test=yt, quiet=args.quiet)
    except InvalidParameter as err:
        if err.name in ("y", "y_test") and is_data_file(args.data):    # labels wrong for the loss: name the file
            raise label_error(err, args.test if err.name == "y_test" and args.test else args.data) from None
        raise
    with ResultsFolder(args.out) as tmp:
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():     # the CLI prints info["warnings"] itself
                warnings.simplefilter("ignore", TwolayerWarning)
                traj = execute(spec)
        except Interrupted as err:
            if not args.keep_partial or err.trajectory is None or len(err.trajectory) == 0:
                raise
            traj = err.trajectory
        return args.out, _write_results(tmp, args, spec, traj, X, y, time.perf_counter() - start, init_seed)


def _write_results(tmp, args, spec, traj, X, y, elapsed: float, init_seed: int, net0=None) -> dict:
    """Write the results folder of ``traj`` (complete or interrupted) into ``tmp``; return the metrics.
    ``net0`` is the initial network (default ``spec.net``)."""
    flow = spec.is_flow
    metrics = {"final_loss": float(traj.train_loss[-1]),
               "final_test_loss": None if traj.test_loss is None else float(traj.test_loss[-1]),
               "theta_norm": traj.final.norm,
               "relative_weight_change": relative_weight_change(RunResult(traj, spec.net if net0 is None else net0, X, y)),
               "elapsed_s": traj.info.get("elapsed_s", elapsed), "compile_s": traj.info.get("compile_s", 0.0),
               "interrupted_at": traj.info.get("interrupted_at"),
               "warnings": traj.info.get("warnings", [])}
    ctx = Context(tmp, engine=args.engine, quiet=args.quiet)
    if metrics["interrupted_at"] is not None:
        ctx.note(f"**Interrupted** (Ctrl-C) at {metrics['interrupted_at']}: this folder holds the points recorded "
                 "until then (`--keep-partial`).")
    for warning in metrics["warnings"]:
        ctx.note(f"**Warning:** {warning}.")
    ctx.save_trajectory(traj)
    fig, ax = new_figure(1, 1, width=5.5)
    losses = {"train": traj.train_loss} | ({} if traj.test_loss is None else {"test": traj.test_loss})
    loss_curve(ax[0, 0], traj.times, losses, xlabel="continuous time (lr x steps)" if not flow else "time",
               title=f"{args.data}: {args.activation}, m={args.width}, {args.optimizer}")
    ctx.figure(fig, "loss", "Loss", "Training (and test) loss on a log scale against continuous time.")
    if args.data.startswith("thesis-") and not args.bias:
        fig, ax = new_figure(1, 1, width=5.0)
        orientation_plane(ax[0, 0], traj.final, X[:, 0], y, title="final network")
        ctx.figure(fig, "neurons", "Neurons at the end",
                   "Neurons at (-w_j2/w_j1, sign(a_j) ||w_j||) with the learned function and the data.")
    config = {"command": "train", **{k: (str(v) if k == "out" else v) for k, v in vars(args).items() if k != "func"},
              "init_seed": init_seed, "order_seed": spec.seed, "init": spec.net.init, "engine_used": spec.engine,
              "data_hash": content_hash(X, y, *(spec.test or (None, None))), "provenance": provenance()}
    write_json(tmp / "config.json", config)
    write_json(tmp / "metrics.json", metrics)
    write_report(tmp, "ad-hoc training run", f"`twolayer train` on data set `{args.data}`.", ctx, metrics, config)
    return metrics


def is_train_folder(folder) -> dict | None:
    """The config of ``folder`` when it is a ``twolayer train`` results folder, else None."""
    try:
        config = json.loads((Path(folder) / "config.json").read_text())
    except (OSError, ValueError):
        return None
    return config if isinstance(config, dict) and config.get("command") == "train" else None


def redraw_train(folder, config: dict) -> dict:
    """Write the figures, report and metrics of a ``twolayer train`` folder again from its
    ``trajectory.h5`` and ``config.json`` (the data are loaded again and must have the recorded
    content hash); nothing trains. Returns the metrics."""
    folder = check_out(folder, "DIR")
    start = time.perf_counter()
    try:
        traj = Trajectory.load(folder / "trajectory.h5")
        old = json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError, KeyError) as err:
        raise InvalidParameter("DIR", str(folder), f"its trajectory.h5 or metrics.json cannot be read ({err}); "
                               "run 'twolayer train' again") from None
    args = types.SimpleNamespace(**{k: v for k, v in config.items()
                                    if k not in ("command", "init_seed", "order_seed", "init", "engine_used",
                                                 "data_hash", "provenance")})
    X, y, Xt, yt = load(args.data, seed=args.seed, label=args.label, labels=args.labels, test=args.test,
                        test_labels=args.test_labels)
    if content_hash(X, y, Xt, yt) != config.get("data_hash"):
        raise InvalidParameter("DIR", str(folder), f"the data {args.data!r} changed since this run (content hash "
                               "differs); run 'twolayer train' again")
    net0 = traj.net_at(0) if traj.has_snapshots else init_net(
        X.shape[1], args.width, args.activation, args.scaling, bias=args.bias, init=args.init,
        scale=args.scale, outer_scale=args.outer_scale, slope=args.slope, seed=config["init_seed"])
    spec = types.SimpleNamespace(is_flow=args.optimizer == "flow", net=types.SimpleNamespace(init=config["init"]),
                                 seed=config["order_seed"], engine=config["engine_used"],
                                 test=None if Xt is None else (Xt, yt))
    with ResultsFolder(folder, "DIR") as tmp:
        metrics = _write_results(tmp, args, spec, traj, X, y, old.get("elapsed_s", 0.0), config["init_seed"], net0=net0)
    return {**metrics, "runs_reused": 1, "runs_computed": 0, "redrawn_s": time.perf_counter() - start}
