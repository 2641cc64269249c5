import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


MEASURED: list[str] = []   # lines a test measured for the record (printed after the run)


@pytest.fixture
def report():
    """``report(line)`` prints ``line`` in the summary at the end of the test run."""
    return MEASURED.append


def pytest_terminal_summary(terminalreporter):
    if MEASURED:
        terminalreporter.section("measured")
        for line in MEASURED:
            terminalreporter.write_line(line)


SHARED_MNIST = __import__("pathlib").Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


@pytest.fixture(scope="session")
def quick_results(tmp_path_factory):
    """``quick_results(name)`` -> (folder, metrics) of ``twolayer run NAME --quick``, run once per
    test session into one root (so ``thesis`` reuses its parts' folders, as in ``twolayer reproduce``).
    MNIST comes from the shared copy."""
    from twolayer.results import run_experiment

    root = tmp_path_factory.mktemp("quick-results")
    done = {}

    def get(name: str):
        if name not in done:
            overrides = {"data_dir": str(SHARED_MNIST)} if name == "mnist-stable-rank" else None
            done[name] = run_experiment(name, quick=True, out=root / name, quiet=True, overrides=overrides)
        return done[name]

    return get
