"""vmap's chunk_size against torch: the batch runs in chunks and the results are joined
along out_dims; bad chunk sizes and randomness values raise torch's errors; random ops
follow the randomness mode."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func

import ember
import ember.func
from helpers import assert_same, same_error

A = np.random.default_rng(0).standard_normal((5, 3))


@pytest.mark.parametrize("chunk_size", [1, 2, 5, 7])
def test_chunked_vmap_matches_torch(chunk_size):
    def run(lib, F):
        x = lib.from_numpy(A)
        calls = []

        def f(v, pair):
            calls.append(1)
            w, s = pair
            return {"a": v.sin() * w, "b": (v * s).sum()}

        out = F.vmap(f, in_dims=(0, (None, 0)), out_dims={"a": 1, "b": 0},
                     chunk_size=chunk_size)(x, (x[0], x[:, 1]))
        jac = F.jacrev(lambda v: v.exp() * 2, chunk_size=chunk_size)(x[0])
        return [out["a"], out["b"], jac], len(calls)

    (e, ne), (t, nt) = run(ember, ember.func), run(torch, torch.func)
    assert_same(e, t)
    assert ne == nt


def test_chunk_and_randomness_errors():
    x = A[:, 0]
    for kw in (dict(chunk_size=0), dict(chunk_size=-1), dict(randomness="bogus")):
        same_error(lambda kw=kw: ember.func.vmap(lambda v: v, **kw)(ember.from_numpy(x)),
                   lambda kw=kw: torch.func.vmap(lambda v: v, **kw)(torch.from_numpy(x)))


_RANDOM_PROGRAMS = {
    "rand": lambda L, t: t + L.rand(2),
    "randn": lambda L, t: t * L.randn(2),
    "randint": lambda L, t: t + L.randint(0, 5, (2,)),
    "rand_like": lambda L, t: t * L.rand_like(t),
    "randn_like": lambda L, t: L.randn_like(t),
    "randint_like": lambda L, t: L.randint_like(t, 10),
    "normal_batched": lambda L, t: (t * 1).normal_(),
    "uniform_batched": lambda L, t: (t * 1).uniform_(-1, 1),
    "bernoulli_batched": lambda L, t: (t * 0.5).bernoulli_(),
    "normal_unbatched": lambda L, t: t + L.empty(2).normal_(),
    "dropout": lambda L, t: L.nn.functional.dropout(t, 0.5),
}


@pytest.mark.parametrize("randomness", ["error", "same", "different"])
@pytest.mark.parametrize("name", sorted(_RANDOM_PROGRAMS))
def test_randomness_modes_as_torch(name, randomness):
    # "error" refuses random ops, "same" draws once for the whole batch, "different" once
    # per example (torch draws those with the batch size in front: the same numbers).
    program = _RANDOM_PROGRAMS[name]
    results = []
    for lib in (ember, torch):
        lib.manual_seed(0)
        try:
            results.append(lib.func.vmap(lambda t, lib=lib: program(lib, t),
                                         randomness=randomness)(lib.ones(3, 2)).tolist())
        except RuntimeError as e:
            results.append(str(e))
    assert results[0] == results[1]
