"""Helpers shared by the hostile-input batteries (``tests/test_battery_*.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def drawn(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` wrapped so that the figures it draws are closed, whatever it returns or raises."""

    def run() -> Any:
        import matplotlib.pyplot as plt

        try:
            return call()
        finally:
            plt.close("all")

    return run
