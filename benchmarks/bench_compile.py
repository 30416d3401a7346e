"""ember.compile against eager ember and torch eager (and torch.compile where it runs).

    python benchmarks/bench_compile.py [W1 W2 W3 W3LOSS W4 FIRST] [--no-torch-compile]

Each compiled workload is called once before timing (the recording), so the times are
those of replays. W3 compiles the model (the loss and optimizer run eagerly), W3LOSS a
module whose forward is model and loss. FIRST reports the recording's cost as a multiple
of one eager call and the memory a recording holds (tracemalloc).
"""

from __future__ import annotations

import os
import sys
import time
import tracemalloc

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"
sys.path.insert(0, os.path.dirname(__file__))

import torch  # noqa: E402

import ember  # noqa: E402
import workloads  # noqa: E402

torch.set_num_threads(1)


def chain_step(lib, n):
    def step(x, w):
        return workloads.pointwise_cycle(lib, x, w, n).sum()
    return step


def w1(lib, compile_with=None, n=2000):
    step = chain_step(lib, n)
    if compile_with is not None:
        step = compile_with(step)
    w = lib.full((16,), 0.9)

    def run():
        x = lib.full((16,), 0.5, requires_grad=True)
        step(x, w).backward()
    return run


def w4(lib, n, compile_with=None):
    def step(x, w):
        y = x
        for _ in range(n // 2):
            y = (y * w).sin()
        return y.sum()
    if compile_with is not None:
        step = compile_with(step)
    w = lib.full((16,), 0.999, requires_grad=True)

    def run():
        x = lib.full((16,), 0.5, requires_grad=True)
        step(x, w).backward()
    return run


def w2(lib, compile_with=None, steps=5, points=100):
    import random

    rnd = random.Random(1337)
    xs = [(rnd.uniform(-2, 2), rnd.uniform(-2, 2)) for _ in range(points)]
    ys = [1.0 if x0 * x0 + x1 * x1 < 2 else -1.0 for x0, x1 in xs]
    sizes = [2, 16, 16, 1]
    init = [[[rnd.uniform(-1, 1) for _ in range(sizes[i] + 1)] for _ in range(sizes[i + 1])]
            for i in range(3)]

    def loss_of(layers):
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
        params = [p for layer in layers for neuron in layer for p in neuron]
        data_loss = sum((1 + -y * s).relu() for y, s in zip(ys, scores)) * (1.0 / points)
        return data_loss + 1e-4 * sum(p * p for p in params)

    loss_fn = compile_with(loss_of) if compile_with is not None else loss_of
    layers = [[[lib.tensor(v, requires_grad=True) for v in neuron] for neuron in layer]
              for layer in init]
    params = [p for layer in layers for neuron in layer for p in neuron]

    def run():
        for step in range(steps):
            loss = loss_fn(layers)
            for p in params:
                p.grad = None
            loss.backward()
            lr = 1.0 - 0.9 * step / 100
            with lib.no_grad():
                for p in params:
                    p -= lr * p.grad
    return run


def w3(lib, compile_with=None, steps=50, with_loss=False):
    nn = lib.nn
    data = [(lib.from_numpy(x), lib.from_numpy(y)) for x, y in workloads.w3_batches(steps)]
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                          nn.Linear(128, 10))
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    if with_loss:
        class Step(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, x, y):
                return loss_fn(self.model(x), y)

        step = Step()
        step = compile_with(step) if compile_with is not None else step
    else:
        run_model = compile_with(model) if compile_with is not None else model

        def step(x, y):
            return loss_fn(run_model(x), y)

    def run():
        for xb, yb in data:
            opt.zero_grad()
            step(xb, yb).backward()
            opt.step()
    return run


def report(name, units, make, torch_compile=True):
    e = workloads.timed(make(ember), 3)
    c = workloads.timed(make(ember, ember.compile), 3)
    t = workloads.timed(make(torch), 3)
    tc = None
    tc_err = "not run"
    try:
        if torch_compile:
            tc = workloads.timed(make(torch, torch.compile), 3)
    except Exception as exc:  # torch's CPU backend needs a C compiler
        tc_err = type(exc).__name__
    per = 1e6 / units
    tc_s = f"{tc * per:10.2f}" if tc is not None else f"  n/a ({tc_err})"
    print(f"{name:<9} eager {e * per:9.2f}  compiled {c * per:9.2f}  torch {t * per:9.2f}  "
          f"torch.compile {tc_s}  compiled/torch {c / t:5.2f}  eager/torch {e / t:5.2f}")


def first_call():
    for name, make in (("W1", lambda c: w1(ember, c)), ("W2", lambda c: w2(ember, c, 1)),
                       ("W3LOSS", lambda c: w3(ember, c, 1, True))):
        eager = make(None)
        eager()
        t0 = time.process_time()
        eager()
        one = time.process_time() - t0
        run = make(ember.compile)
        tracemalloc.start()
        t0 = time.process_time()
        run()
        first = time.process_time() - t0
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        tracemalloc.start()
        eager()
        graph = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{name}: first compiled call {first / one:5.1f} x one eager call; "
              f"recording holds {held / 2 ** 20:6.2f} MiB (tracemalloc, incl. its tensors; "
              f"one eager call peaks at {graph / 2 ** 20:6.2f} MiB)")


def main():
    tc = "--no-torch-compile" not in sys.argv
    which = [a for a in sys.argv[1:] if not a.startswith("--")] or [
        "W1", "W2", "W3", "W3LOSS", "W4", "FIRST"]
    print("per op (W1, W4) / per step (W2, W3), microseconds, CPU time, one thread")
    if "W1" in which:
        report("W1", 2000, lambda lib, c=None: w1(lib, c), tc)
    if "W2" in which:
        # torch.compile traces W2's 35,000-op graph for many minutes: not run.
        report("W2", 5, lambda lib, c=None: w2(lib, c), False)
    if "W3" in which:
        report("W3", 50, lambda lib, c=None: w3(lib, c), tc)
    if "W3LOSS" in which:
        report("W3LOSS", 50, lambda lib, c=None: w3(lib, c, with_loss=True), tc)
    if "W4" in which:
        for n in (10_000, 100_000, 1_000_000):
            # torch.compile takes many minutes to compile a graph of 10^4 ops: not run.
            report(f"W4 {n:.0e}", n, lambda lib, c=None, n=n: w4(lib, n, c), False)
    if "FIRST" in which:
        first_call()


if __name__ == "__main__":
    main()
