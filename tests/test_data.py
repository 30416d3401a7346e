"""ember.utils.data against torch.utils.data: orders after the same seed, batching,
collation, splits."""

from __future__ import annotations

from collections import namedtuple

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error


def orders(lib, seed, **kw):
    lib.manual_seed(seed)
    ds = lib.utils.data.TensorDataset(lib.arange(23), lib.arange(23) * 2)
    gen = kw.pop("gen", None)
    g = None
    if gen is not None:
        g = lib.Generator()
        g.manual_seed(gen)
    loader = lib.utils.data.DataLoader(ds, generator=g, **kw)
    epochs = []
    for _ in range(2):
        epochs.append([(a.tolist(), b.tolist()) for a, b in loader])
    return epochs, len(loader)


@pytest.mark.parametrize("kw", [
    {"batch_size": 5}, {"batch_size": 5, "shuffle": True},
    {"batch_size": 4, "shuffle": True, "drop_last": True},
    {"batch_size": 6, "shuffle": True, "gen": 7}, {"batch_size": 1, "shuffle": True},
])
def test_loader_orders_match_torch(kw):
    assert orders(ember, 3, **dict(kw)) == orders(torch, 3, **dict(kw))


def test_samplers():
    def run(lib):
        lib.manual_seed(11)
        data = list(range(10))
        s = lib.utils.data.RandomSampler(data, replacement=True, num_samples=40)
        s2 = lib.utils.data.RandomSampler(data, num_samples=25)
        bs = lib.utils.data.BatchSampler(lib.utils.data.SequentialSampler(data), 3, False)
        sub = lib.utils.data.SubsetRandomSampler([5, 6, 7, 8])
        return list(s), list(s2), list(bs), len(bs), list(sub)

    assert run(ember) == run(torch)
    same_error(lambda: ember.utils.data.BatchSampler([], 0, False),
               lambda: torch.utils.data.BatchSampler([], 0, False))


def test_custom_sampler_and_batch_sampler():
    for lib in (ember, torch):
        ds = lib.utils.data.TensorDataset(lib.arange(6))
        out = [b[0].tolist() for b in lib.utils.data.DataLoader(
            ds, batch_sampler=[[0, 5], [1, 2, 3]])]
        assert out == [[0, 5], [1, 2, 3]]
        out = [b[0].tolist() for b in lib.utils.data.DataLoader(ds, sampler=[5, 4, 3],
                                                                batch_size=2)]
        assert out == [[5, 4], [3]]
    same_error(lambda: ember.utils.data.DataLoader([1], shuffle=True, sampler=[0]),
               lambda: torch.utils.data.DataLoader([1], shuffle=True, sampler=[0]))


Point = namedtuple("Point", "x y")


def test_collate():
    batch_np = [{"a": np.array([1.0, 2.0]), "b": 3, "c": (1.5, "s")},
                {"a": np.array([3.0, 4.0]), "b": 4, "c": (2.5, "t")}]
    e = ember.utils.data.default_collate(batch_np)
    t = torch.utils.data.default_collate(batch_np)
    assert_same(e["a"], t["a"])
    assert_same(e["b"], t["b"])
    assert_same(e["c"][0], t["c"][0])
    assert e["c"][1] == t["c"][1]
    pe = ember.utils.data.default_collate([Point(1, 2.0), Point(3, 4.0)])
    pt = torch.utils.data.default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert type(pe).__name__ == "Point"
    assert_same(pe.x, pt.x)
    assert_same(pe.y, pt.y)
    te = ember.utils.data.default_collate([ember.ones(2, 3), ember.zeros(2, 3)])
    tt = torch.utils.data.default_collate([torch.ones(2, 3), torch.zeros(2, 3)])
    assert_same(te, tt)
    assert_same(ember.utils.data.default_collate([True, False]),
                torch.utils.data.default_collate([True, False]))


def test_random_split_and_subset():
    def run(lib, lengths):
        g = lib.Generator()
        g.manual_seed(42)
        parts = lib.utils.data.random_split(range(10), lengths, generator=g)
        return [list(p) for p in parts]

    assert run(ember, [3, 7]) == run(torch, [3, 7])
    assert run(ember, [0.3, 0.3, 0.4]) == run(torch, [0.3, 0.3, 0.4])
    same_error(lambda: run(ember, [3, 3]), lambda: run(torch, [3, 3]))
    ds = ember.utils.data.TensorDataset(ember.arange(5), ember.arange(5) + 10)
    sub = ember.utils.data.Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][1].item() == 14
    cat = ember.utils.data.ConcatDataset([sub, ds])
    assert len(cat) == 7 and cat[2][0].item() == 0
    same_error(lambda: ember.utils.data.TensorDataset(ember.zeros(2), ember.zeros(3)),
               lambda: torch.utils.data.TensorDataset(torch.zeros(2), torch.zeros(3)))


def test_iterable_dataset():
    class Stream(ember.utils.data.IterableDataset):
        def __iter__(self):
            return iter(range(7))

    batches = [b.tolist() for b in ember.utils.data.DataLoader(Stream(), batch_size=3)]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
