"""WeightedRandomSampler, DistributedSampler, StackDataset and ChainDataset against torch:
the same indices after the same seed, the same batches through a DataLoader, the same
errors."""

from __future__ import annotations

import pytest
import torch

import ember
from helpers import same_error


@pytest.mark.parametrize("replacement", [True, False])
def test_weighted_random_sampler_draws_as_torch(replacement):
    def run(lib, gen):
        lib.manual_seed(5)
        g = None
        if gen:
            g = lib.Generator()
            g.manual_seed(123)
        s = lib.utils.data.WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5,
                                                 replacement=replacement, generator=g)
        return list(s), list(s), len(s), s.weights.dtype is lib.float64

    for gen in (False, True):
        assert run(ember, gen) == run(torch, gen)


def test_weighted_random_sampler_in_a_loader():
    def run(lib):
        lib.manual_seed(2)
        ds = lib.utils.data.TensorDataset(lib.arange(8))
        s = lib.utils.data.WeightedRandomSampler(lib.arange(1.0, 9.0), 20)
        loader = lib.utils.data.DataLoader(ds, batch_size=3, sampler=s)
        return [[b[0].tolist() for b in loader] for _ in range(2)], len(loader)

    assert run(ember) == run(torch)


@pytest.mark.parametrize("args", [((1.0, 2.0), 0), ((1.0, 2.0), True), ((1.0, 2.0), 2.0),
                                  ((1.0, 2.0), -1), ([[1.0, 2.0]], 2)])
def test_weighted_random_sampler_errors(args):
    weights, n = args
    same_error(lambda: ember.utils.data.WeightedRandomSampler(weights, n),
               lambda: torch.utils.data.WeightedRandomSampler(weights, n))
    same_error(lambda: ember.utils.data.WeightedRandomSampler([1.0], 1, replacement=1),
               lambda: torch.utils.data.WeightedRandomSampler([1.0], 1, replacement=1))


@pytest.mark.parametrize("weights,n,replacement", [([1.0, 2.0], 3, False),
                                                   ([1.0, -2.0], 3, True),
                                                   ([0.0, 0.0], 3, True)])
def test_weighted_random_sampler_errors_at_iteration(weights, n, replacement):
    # torch.multinomial checks the weights when the sampler is iterated, not when made
    e = ember.utils.data.WeightedRandomSampler(weights, n, replacement=replacement)
    t = torch.utils.data.WeightedRandomSampler(weights, n, replacement=replacement)
    same_error(lambda: list(e), lambda: list(t))


@pytest.mark.parametrize("n", [10, 11, 3])
@pytest.mark.parametrize("kw", [{}, {"shuffle": False}, {"drop_last": True},
                                {"seed": 7, "drop_last": True}])
def test_distributed_sampler_shares_as_torch(n, kw):
    def run(lib):
        out = []
        for rank in range(4):
            s = lib.utils.data.DistributedSampler(list(range(n)), num_replicas=4, rank=rank,
                                                  **kw)
            epochs = []
            for epoch in range(3):
                s.set_epoch(epoch)
                epochs.append(list(s))
            out.append((epochs, len(s), s.total_size))
        return out

    assert run(ember) == run(torch)


def test_distributed_sampler_leaves_the_global_stream_alone():
    for lib in (ember, torch):
        lib.manual_seed(0)
        list(lib.utils.data.DistributedSampler(range(9), num_replicas=2, rank=1))
    assert ember.rand(3).tolist() == pytest.approx(torch.rand(3).tolist())


def test_distributed_sampler_errors():
    for kw in ({}, {"num_replicas": 2}, {"rank": 0}, {"num_replicas": 2, "rank": 2},
               {"num_replicas": 2, "rank": -1}):
        same_error(lambda kw=kw: ember.utils.data.DistributedSampler(range(4), **kw),
                   lambda kw=kw: torch.utils.data.DistributedSampler(range(4), **kw))


def test_distributed_sampler_in_a_loader():
    def run(lib):
        ds = lib.utils.data.TensorDataset(lib.arange(13), lib.arange(13) * 3)
        s = lib.utils.data.DistributedSampler(ds, num_replicas=3, rank=2, seed=4)
        loader = lib.utils.data.DataLoader(ds, batch_size=2, sampler=s)
        out = []
        for epoch in range(2):
            s.set_epoch(epoch)
            out.append([(a.tolist(), b.tolist()) for a, b in loader])
        return out, len(loader)

    assert run(ember) == run(torch)


def _stack(lib, named):
    a = lib.utils.data.TensorDataset(lib.arange(5))
    b = list(range(10, 15))
    return lib.utils.data.StackDataset(x=a, y=b) if named else lib.utils.data.StackDataset(a, b)


def _plain(x):
    if isinstance(x, (torch.Tensor, ember.Tensor)):
        return x.tolist()
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_plain(v) for v in x)
    return x


@pytest.mark.parametrize("named", [False, True])
def test_stack_dataset_as_torch(named):
    def run(lib):
        ds = _stack(lib, named)
        loader = lib.utils.data.DataLoader(ds, batch_size=2)
        return (len(ds), _plain(ds[3]), _plain(ds.__getitems__([4, 0])),
                [_plain(batch) for batch in loader])

    assert run(ember) == run(torch)


class _Short:
    """A dataset whose __getitems__ gives fewer samples than asked."""

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return i

    def __getitems__(self, indices):
        return indices[:-1]


def test_stack_dataset_errors():
    E, T = ember.utils.data.StackDataset, torch.utils.data.StackDataset
    same_error(lambda: E(), lambda: T())
    same_error(lambda: E([1], y=[2]), lambda: T([1], y=[2]))
    same_error(lambda: E([1], [1, 2]), lambda: T([1], [1, 2]))
    same_error(lambda: E(a=[1], b=[1, 2]), lambda: T(a=[1], b=[1, 2]))
    same_error(lambda: E([0, 1, 2], _Short()).__getitems__([0, 1]),
               lambda: T([0, 1, 2], _Short()).__getitems__([0, 1]))
    same_error(lambda: E(a=_Short()).__getitems__([0, 1]),
               lambda: T(a=_Short()).__getitems__([0, 1]))


def _counting(lib):
    class Count(lib.utils.data.IterableDataset):
        def __init__(self, lo, hi):
            self.lo, self.hi = lo, hi

        def __iter__(self):
            return iter(range(self.lo, self.hi))

        def __len__(self):
            return self.hi - self.lo

    return Count


def test_chain_dataset_as_torch():
    def run(lib):
        Count = _counting(lib)
        chain = lib.utils.data.ChainDataset([Count(0, 3), Count(10, 14)])
        added = Count(0, 2) + Count(5, 7)
        loader = lib.utils.data.DataLoader(chain, batch_size=3)
        return (list(chain), len(chain), type(added).__name__, list(added),
                [b.tolist() for b in loader], len(loader))

    assert run(ember) == run(torch)


def test_chain_dataset_refuses_map_style():
    for lib in (ember, torch):
        chain = lib.utils.data.ChainDataset([lib.utils.data.TensorDataset(lib.arange(2))])
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            list(chain)
        with pytest.raises(AssertionError, match="ChainDataset only supports IterableDataset"):
            len(chain)
