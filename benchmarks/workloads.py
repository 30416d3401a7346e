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


def w2_micrograd(lib: Any, steps: int = 20, points: int = 100) -> Callable[[], None]:
    """W2: micrograd's demo: an MLP 2-16-16-1 of 0-dim tensors over two-feature points,
    SVM max-margin loss plus L2, plain SGD."""
    import random

    rnd = random.Random(1337)
    xs = [(rnd.uniform(-2, 2), rnd.uniform(-2, 2)) for _ in range(points)]
    ys = [1.0 if x0 * x0 + x1 * x1 < 2 else -1.0 for x0, x1 in xs]
    sizes = [2, 16, 16, 1]
    init = [[[rnd.uniform(-1, 1) for _ in range(sizes[i] + 1)] for _ in range(sizes[i + 1])]
            for i in range(3)]

    def run() -> None:
        layers = [[[lib.tensor(v, requires_grad=True) for v in neuron] for neuron in layer]
                  for layer in init]
        params = [p for layer in layers for neuron in layer for p in neuron]
        for step in range(steps):
            scores = []
            for x in xs:
                act = list(x)
                for li, layer in enumerate(layers):
                    out = []
                    for neuron in layer:
                        s = neuron[-1]
                        for wi, xi in zip(neuron, act):
                            s = s + wi * xi
                        out.append(s.relu() if li < 2 else s)
                    act = out
                scores.append(act[0])
            data_loss = sum((1 + -y * s).relu() for y, s in zip(ys, scores)) * (1.0 / points)
            reg_loss = 1e-4 * sum(p * p for p in params)
            loss = data_loss + reg_loss
            for p in params:
                p.grad = None
            loss.backward()
            lr = 1.0 - 0.9 * step / 100
            with lib.no_grad():
                for p in params:
                    p -= lr * p.grad

    return run
