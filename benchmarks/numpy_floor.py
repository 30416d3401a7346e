"""The same work written by hand in plain NumPy, with manual backprop: the floor that any
NumPy-based engine is measured against."""

from __future__ import annotations

from typing import Callable

import numpy as np


def w1_chain(n: int = 2000, size: int = 16) -> Callable[[], None]:
    """W1 by hand: forward keeps what each op's derivative needs, backward walks it back."""
    def run() -> None:
        y = np.full(size, 0.5, np.float32)
        w = np.full(size, 0.9, np.float32)
        tape = []
        for i in range(n):
            k = i % 6
            if k == 0:
                tape.append((0, w))
                y = y * w
            elif k == 1:
                tape.append((1, None))
                y = y + w
            elif k == 2:
                tape.append((2, y))
                y = np.sin(y)
            elif k == 3:
                y = np.exp(y)
                tape.append((3, y))
            elif k == 4:
                y = np.tanh(y)
                tape.append((4, y))
            else:
                tape.append((5, y))
                y = y * y
        g = np.ones_like(y)
        for k, v in reversed(tape):
            if k == 0:
                g = g * v
            elif k == 2:
                g = g * np.cos(v)
            elif k == 3:
                g = g * v
            elif k == 4:
                g = g * (1 - v * v)
            elif k == 5:
                g = g * (2 * v)

    return run
