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
