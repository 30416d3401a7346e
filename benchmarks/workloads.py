"""Benchmark workloads, each written once against a torch-like module `lib` so that the
same code runs on ember and on torch."""

from __future__ import annotations

import gc
import time
from typing import Any, Callable


def timed(fn: Callable[[], Any], repeat: int = 5) -> float:
    """Median CPU time of `fn` over `repeat` runs, in seconds (one warm-up run first).

    CPU time of this process, not wall time, so that other work on the machine disturbs
    the comparison less; both engines run single-threaded for the ratios."""
    fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    times.sort()
    return times[len(times) // 2]


def pointwise_cycle(lib: Any, y: Any, w: Any, n: int) -> Any:
    """n ops cycling through mul, add, sin, exp, tanh, pow."""
    for i in range(n):
        k = i % 6
        if k == 0:
            y = y * w
        elif k == 1:
            y = y + w
        elif k == 2:
            y = y.sin()
        elif k == 3:
            y = y.exp()
        elif k == 4:
            y = y.tanh()
        else:
            y = y.pow(2)
    return y


def w1_chain(lib: Any, n: int = 2000, size: int = 16) -> Callable[[], None]:
    """W1: a chain of n pointwise ops on small float32 tensors, then sum and backward."""
    def run() -> None:
        x = lib.full((size,), 0.5, requires_grad=True)
        w = lib.full((size,), 0.9)
        pointwise_cycle(lib, x, w, n).sum().backward()

    return run


def w4_chain(lib: Any, n: int, size: int = 16) -> Callable[[], None]:
    """W4: `y = y * w; y = sin(y)` repeated to n ops on 16 elements, then backward."""
    def run() -> None:
        x = lib.full((size,), 0.5, requires_grad=True)
        w = lib.full((size,), 0.999, requires_grad=True)
        y = x
        for _ in range(n // 2):
            y = (y * w).sin()
        y.sum().backward()

    return run


def w5_large(lib: Any, size: int = 4_000_000, n: int = 20) -> Callable[[], None]:
    """W5: the W1 op cycle, 20 ops, on 4,000,000 float32 elements, forward and backward."""
    def run() -> None:
        x = lib.full((size,), 0.5, requires_grad=True)
        w = lib.full((size,), 0.9)
        pointwise_cycle(lib, x, w, n).sum().backward()

    return run
