"""Every experiment setting is declared with its meaning and accepted range, and bad values are refused
naming the key before anything trains."""

import dataclasses
import importlib
import math
import time
import types
import typing

import pytest

from twolayer.cli import main
from twolayer.errors import InvalidParameter
from twolayer.experiments import EXPERIMENTS

# string settings without a fixed set of values: (experiment, key) -> why
FREE_TEXT = {("mnist-stable-rank", "data_dir"): "a folder path", ("relu-1d", "data_dir"): "a folder path"}
# experiments whose check(cfg, ...) takes more than the config: the extra arguments of their run
CHECK_ARGS = {"init-scale-2d": (2,), "hidden-structure": (10,)}


def fields(name):
    return dataclasses.fields(EXPERIMENTS[name].config)


def scalar_kind(exp, f):
    """(the item type of field f, whether it is a tuple)."""
    kind = typing.get_type_hints(exp.config)[f.name]
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if typing.get_origin(kind) in (tuple, list):
        return typing.get_args(kind)[0], True
    return kind, False


def all_fields():
    return [(name, f.name) for name in EXPERIMENTS for f in fields(name)]


def test_there_are_24_experiments_each_with_a_source():
    assert len(EXPERIMENTS) == 24
    for name, exp in EXPERIMENTS.items():
        assert exp.source.startswith(("thesis, ", "sheet ", "theory, ")), name
        assert exp.seed_file or exp.source.startswith("theory, "), name        # only a theory twin has no seed


@pytest.mark.parametrize("name,key", all_fields())
def test_every_field_has_a_meaning_and_an_accepted_range(name, key):
    exp = EXPERIMENTS[name]
    f = {f.name: f for f in fields(name)}[key]
    help_text = f.metadata.get("help", "")
    assert help_text.strip() and len(help_text) < 200 and help_text.endswith(".") and help_text[0].isupper(), help_text
    kind, _ = scalar_kind(exp, f)
    if kind in (int, float):
        assert any(f.metadata.get(b) is not None for b in ("ge", "gt")), f"{name}.{key}: no lower bound"
        assert f.metadata.get("le") is not None, f"{name}.{key}: no upper bound"
    elif kind is str:
        assert f.metadata.get("choices") or (name, key) in FREE_TEXT, f"{name}.{key}: a string without choices"
    else:
        assert kind is bool, f"{name}.{key}: unexpected type {kind}"
    row = next(r for r in exp.fields() if r["key"] == key)
    assert row["help"] == help_text and row["accepted"]


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_quick_and_full_configs_validate(name):
    exp = EXPERIMENTS[name]
    module = importlib.import_module(exp.run.__module__)
    for quick in (True, False):
        cfg = exp.make_config(quick)
        if hasattr(module, "check"):
            module.check(cfg, *CHECK_ARGS.get(name, ()))


FAILING = [
    (["run", "stable-rank-one-step", "--quick", "--set", "ms=,,"], "ms"),
    (["run", "ntk-concentration", "--quick", "--set", "n=0"], "n"),
    (["run", "stable-rank-one-step", "--set", "ms=100000000", "--set", "ds=100000"], "ms"),
    (["run", "saddle-to-saddle", "--set", "epochs=30000000"], "epochs"),
    # refused by the experiments' cross-field check(cfg), at the top of run, before training
    (["run", "saddle-to-saddle", "--set", "epochs=3000000", "--set", "record_every=1"], "record_every"),
    (["run", "saddle-to-saddle", "--set", "snapshot_epochs=0,4005"], "snapshot_epochs"),
    (["run", "stable-rank-one-step", "--set", "ms=3000", "--set", "ds=60000"], "ms"),
    (["run", "ntk-concentration", "--quick", "--set", "log2_widths=10"], "log2_widths"),
    (["run", "init-scale-transition", "--set", "record_every=1"], "record_every"),
    (["run", "activation-dynamics", "--set", "record_every=1", "--set", "epochs=3000000"], "record_every"),
    (["run", "multidim", "--set", "scales_orth=1e-22,1e-6"], "scales_orth"),
    (["run", "mnist-stable-rank", "--set", "sigma=0.5"], "sigma"),
    (["run", "perceptron-convergence", "--set", "steps=300000", "--set", "m=300"], "steps"),
    (["run", "overparam-convergence", "--set", "steps_1d=600000", "--set", "batch=160"], "steps_1d"),
    (["run", "hidden-structure", "--set", "width=5000", "--set", "seeds=15"], "width"),
]


@pytest.mark.parametrize("argv,key", FAILING, ids=[" ".join(a[1:]) for a, _ in FAILING])
def test_bad_settings_exit_2_with_one_line_naming_the_key(argv, key, tmp_path, capsys):
    start = time.perf_counter()
    assert main([*argv, "--quiet", "--out", str(tmp_path / "out")]) == 2
    elapsed = time.perf_counter() - start
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"twolayer: error: {key}="), captured.err
    assert elapsed < 1.0, f"{elapsed:.2f} s: the settings must be refused before anything trains"
    assert not (tmp_path / "out").exists()


def beyond(kind, bound: float, up: bool) -> str:
    """A value just past ``bound`` (above it when ``up``), as typed on the command line."""
    if kind is int:
        return str(int(bound) + 1 if up else math.ceil(bound) - 1)
    return repr(math.nextafter(float(bound), math.inf if up else -math.inf))


def bound_cases():
    cases = []
    for name, exp in EXPERIMENTS.items():
        for f in fields(name):
            kind, _ = scalar_kind(exp, f)
            m = f.metadata
            if kind not in (int, float):
                continue
            if m.get("le") is not None:
                cases.append((name, f.name, beyond(kind, m["le"], True)))
            if m.get("ge") is not None:
                cases.append((name, f.name, beyond(kind, m["ge"], False)))
            if m.get("gt") is not None:
                cases.append((name, f.name, str(int(m["gt"])) if kind is int else repr(float(m["gt"]))))
    return cases


@pytest.mark.parametrize("name,key,value", bound_cases())
def test_a_value_just_beyond_a_bound_is_refused_naming_the_key(name, key, value):
    with pytest.raises(InvalidParameter) as err:
        EXPERIMENTS[name].make_config(quick=True, overrides={key: value})
    assert err.value.name == key


@pytest.mark.parametrize("name,key", [(n, f.name) for n in EXPERIMENTS for f in fields(n) if f.metadata.get("choices")])
def test_a_string_outside_the_choices_is_refused_naming_the_key(name, key):
    with pytest.raises(InvalidParameter) as err:
        EXPERIMENTS[name].make_config(quick=True, overrides={key: "no-such-value"})
    assert err.value.name == key and "one of" in str(err.value)


def test_each_experiment_has_an_upper_and_a_lower_bound_case():
    names = {}
    for name, _, value in bound_cases():
        names.setdefault(name, set()).add(value)
    assert set(names) == set(EXPERIMENTS) - {"thesis"}   # the thesis summary has only a boolean setting
