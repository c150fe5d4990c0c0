"""Counts that `make test` prints at the end: fuzzing cases per role, isolation cells, bad inputs tried.

A test calls `tally("bad inputs tried", 42)`; counts add up over tests and over pytest-xdist workers (each worker
hands its counts to the controller through `workeroutput`), and the terminal summary prints them sorted by name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

_COUNTS: Counter[str] = Counter()


def tally(name: str, count: int = 1) -> None:
    """Add `count` to the named figure of this run's summary."""
    _COUNTS[name] += count


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput["tally"] = dict(_COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """The xdist controller's hook: a worker has finished and sent its counts."""
    _COUNTS.update(getattr(node, "workeroutput", {}).get("tally", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _COUNTS:
        terminalreporter.section("counts")
        for name, count in sorted(_COUNTS.items()):
            terminalreporter.write_line(f"{name}: {count}")
