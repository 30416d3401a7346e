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


def digits() -> tuple:
    """scikit-learn's 8x8 digits (1797 x 64 float32 in [0, 1], int64 labels) and whether they
    are the real data: without scikit-learn, a deterministic synthetic set of the same shape."""
    import numpy as np

    try:
        from sklearn.datasets import load_digits
    except ImportError:
        rng = np.random.default_rng(0)
        y = rng.integers(0, 10, 1797)
        centres = rng.random((10, 64), dtype=np.float32)
        x = np.clip(centres[y] + 0.2 * rng.standard_normal((1797, 64), dtype=np.float32), 0, 1)
        return x.astype(np.float32), y.astype(np.int64), False
    d = load_digits()
    return (d.data / 16.0).astype(np.float32), d.target.astype(np.int64), True


def w3_batches(steps: int = 200, batch: int = 128) -> list:
    """The W3 mini-batches as NumPy arrays: a fixed shuffle of digits, cycled."""
    import numpy as np

    x, y, _ = digits()
    order = np.random.default_rng(0).permutation(len(x))
    out = []
    for s in range(steps):
        idx = np.take(order, np.arange(s * batch, (s + 1) * batch), mode="wrap")
        out.append((np.ascontiguousarray(x[idx]), y[idx].copy()))
    return out


def w3_init(sizes: tuple = (64, 256, 128, 10)) -> list:
    """Shared initial weights for W3 (torch's default uniform bound), as NumPy arrays."""
    import numpy as np

    rng = np.random.default_rng(1)
    params = []
    for i, o in zip(sizes[:-1], sizes[1:]):
        b = 1 / i ** 0.5
        params.append((rng.uniform(-b, b, (o, i)).astype(np.float32),
                       rng.uniform(-b, b, o).astype(np.float32)))
    return params


def w3_mlp(lib: Any, steps: int = 200, batch: int = 128) -> Callable[[], None]:
    """W3: MLP 64-256-128-10 on digits, cross-entropy, SGD with momentum 0.9, float32."""
    nn = lib.nn
    data = [(lib.from_numpy(x), lib.from_numpy(y)) for x, y in w3_batches(steps, batch)]
    init = w3_init()

    def run() -> None:
        model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                              nn.Linear(128, 10))
        with lib.no_grad():
            for layer, (w, b) in zip((model[0], model[2], model[4]), init):
                layer.weight.copy_(lib.from_numpy(w))
                layer.bias.copy_(lib.from_numpy(b))
        opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()
        for xb, yb in data:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()

    return run


def w6_hessian(lib: Any, n: int = 200) -> Callable[[], None]:
    """W6: autograd.functional.hessian of sum(tanh(A @ x) ** 2), x of size n, float64."""
    import numpy as np

    rng = np.random.default_rng(2)
    a = lib.from_numpy(rng.standard_normal((n, n)) / n ** 0.5)
    x = lib.from_numpy(rng.standard_normal(n))

    def f(v: Any) -> Any:
        return (lib.tanh(a @ v) ** 2).sum()

    def run() -> None:
        lib.autograd.functional.hessian(f, x)

    return run


def w7_data(batch: int = 64) -> tuple:
    """The W7 input batch, labels and initial parameters, as NumPy arrays."""
    import numpy as np

    rng = np.random.default_rng(3)
    x = rng.random((batch, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, batch)
    cw = rng.uniform(-1 / 3, 1 / 3, (8, 1, 3, 3)).astype(np.float32)
    cb = rng.uniform(-1 / 3, 1 / 3, 8).astype(np.float32)
    b = 1 / 1352 ** 0.5
    lw = rng.uniform(-b, b, (10, 1352)).astype(np.float32)
    lb = rng.uniform(-b, b, 10).astype(np.float32)
    return x, y, (cw, cb, lw, lb)


def w7_cnn(lib: Any, iters: int = 20, batch: int = 64) -> Callable[[], None]:
    """W7: conv 1->8 3x3, relu, max-pool 2, linear 1352->10, cross-entropy, forward and
    backward on a batch of 64 28x28 images, `iters` times."""
    F = lib.nn.functional
    x, y, params = w7_data(batch)
    xt, yt = lib.from_numpy(x), lib.from_numpy(y)
    cw, cb, lw, lb = (lib.from_numpy(p.copy()).requires_grad_() for p in params)

    def run() -> None:
        for _ in range(iters):
            h = F.max_pool2d(F.relu(F.conv2d(xt, cw, cb)), 2)
            loss = F.cross_entropy(F.linear(h.flatten(1), lw, lb), yt)
            loss.backward()
            for p in (cw, cb, lw, lb):
                p.grad = None

    return run
