"""vmap(jacrev(f)) over a batch against the per-example loop: same values, and the time of
each (the batched version runs every op once for the whole batch)."""

from __future__ import annotations

import time

import numpy as np

import ember
from ember.func import jacrev, vmap


def main(batch: int = 64, repeat: int = 5) -> None:
    rng = np.random.default_rng(0)
    w1 = ember.from_numpy(rng.standard_normal((16, 32)))
    b1 = ember.from_numpy(rng.standard_normal(32))
    w2 = ember.from_numpy(rng.standard_normal((32, 8)))
    x = ember.from_numpy(rng.standard_normal((batch, 16)))

    def f(v: ember.Tensor) -> ember.Tensor:
        return ember.tanh(v @ w1 + b1) @ w2

    def loop() -> ember.Tensor:
        return ember.stack([jacrev(f)(x[i]) for i in range(batch)])

    batched = vmap(jacrev(f))
    ref, got = loop(), batched(x)
    err = float(np.abs(ref.numpy() - got.numpy()).max())
    t_loop = min(_time(loop) for _ in range(repeat))
    t_vmap = min(_time(lambda: batched(x)) for _ in range(repeat))
    print(f"batch {batch}: max |vmap - loop| = {err:.2e}")
    print(f"per-example loop: {t_loop * 1e3:.1f} ms")
    print(f"vmap(jacrev(f)):  {t_vmap * 1e3:.1f} ms")
    print(f"speedup: {t_loop / t_vmap:.1f}x")


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
