"""DataLoader(num_workers > 0) against torch's worker processes: the same batches in the
same order, each worker's random state (torch, Python's random, NumPy) seeded as torch
seeds it, get_worker_info inside the dataset, worker_init_fn, persistent workers and
iterable datasets sharded by worker."""

from __future__ import annotations

import importlib
import random
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error


def _lib(name):
    return importlib.import_module(name)


class Augmented:
    """A map-style dataset whose items draw random numbers from every source."""

    def __init__(self, lib_name, n=7):
        self.lib_name = lib_name
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        lib = _lib(self.lib_name)
        info = lib.utils.data.get_worker_info()
        wid = -1 if info is None else info.id
        seed = -1 if info is None else info.seed
        return (lib.rand(2) + i, lib.tensor(np.random.rand()), lib.tensor(random.random()),
                lib.tensor([wid, seed, lib.initial_seed(), i]),
                lib.tensor(-1 if info is None else info.num_workers))


class Stream(torch.utils.data.IterableDataset):
    """An iterable dataset that shards itself by worker, unevenly."""

    def __init__(self, lib_name, n=9):
        self.lib_name = lib_name
        self.n = n

    def __iter__(self):
        lib = _lib(self.lib_name)
        info = lib.utils.data.get_worker_info()
        wid, nw = (0, 1) if info is None else (info.id, info.num_workers)
        for i in range(wid, self.n, nw):
            yield lib.tensor([float(i), wid]) + lib.randn(2) * 0


class EmberStream(Stream, ember.utils.data.IterableDataset):
    pass


def _init(worker_id):
    # What programs do: seed NumPy and random from torch's per-worker seed.
    import importlib as il

    info_lib = "ember" if il.import_module("ember").utils.data.get_worker_info() else "torch"
    lib = il.import_module(info_lib)
    seed = lib.initial_seed() % 2 ** 32
    np.random.seed(seed + 1)
    random.seed(seed + 2)


def _collect(lib_name, epochs=2, **kw):
    lib = _lib(lib_name)
    lib.manual_seed(123)
    dataset = kw.pop("dataset", None) or Augmented(lib_name)
    loader = lib.utils.data.DataLoader(dataset, **kw)
    out = []
    for _ in range(epochs):
        out.append([batch for batch in loader])
        out.append(lib.rand(1))  # the main process' generator goes on as torch's
    return out


def _compare(e, t):
    assert len(e) == len(t)
    for a, b in zip(e, t):
        if isinstance(b, list):
            assert len(a) == len(b)
            for x, y in zip(a, b):
                assert_same(list(x) if isinstance(y, (list, tuple)) else x,
                            list(y) if isinstance(y, (list, tuple)) else y)
        else:
            assert_same(a, b)


# Small loaders: torch starts two processes per epoch for each case.
CASES = {
    "shuffle": dict(batch_size=2, shuffle=True, num_workers=2),
    "init_fn_persistent": dict(batch_size=3, shuffle=True, num_workers=2,
                               worker_init_fn=_init, persistent_workers=True),
    "no_batching_prefetch": dict(batch_size=None, num_workers=2, prefetch_factor=1),
    "drop_last_three_workers": dict(batch_size=2, drop_last=True, num_workers=3,
                                    generator="g"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_workers_match_torch(case):
    results, said = [], []
    for name in ("ember", "torch"):
        kw = dict(CASES[case])
        if kw.get("generator") == "g":
            kw["generator"] = _lib(name).Generator().manual_seed(5)
        # More workers than this process may run on: torch warns, and so must ember.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            results.append(_collect(name, **kw))
        said.append([str(w.message) for w in caught])
    _compare(*results)
    assert said[0] == said[1]


def test_iterable_dataset_workers_match_torch():
    e = _collect("ember", dataset=EmberStream("ember"), batch_size=2, num_workers=2)
    t = _collect("torch", dataset=Stream("torch"), batch_size=2, num_workers=2)
    _compare(e, t)


def test_worker_info_outside_workers_and_main_state_untouched():
    assert ember.utils.data.get_worker_info() is None
    ember.manual_seed(0)
    np.random.seed(4)
    random.seed(5)
    before = (ember.get_rng_state(), np.random.get_state()[1].copy(), random.getstate())
    loader = ember.utils.data.DataLoader(Augmented("ember"), batch_size=2, num_workers=2)
    batches = list(loader)
    assert int(batches[0][3][0, 0]) == 0 and int(batches[1][3][0, 0]) == 1
    # The main generator moved by the base seed only, as torch's does.
    ember.set_rng_state(before[0])
    ember.empty((), dtype=ember.int64).random_()
    after_seed = ember.get_rng_state()
    ember.set_rng_state(before[0])
    list(ember.utils.data.DataLoader(Augmented("ember"), batch_size=2, num_workers=2))
    assert ember.equal(ember.get_rng_state(), after_seed)
    assert np.array_equal(np.random.get_state()[1], before[1])
    assert random.getstate() == before[2]
    assert ember.utils.data.get_worker_info() is None


def test_worker_info_fields_and_frozen():
    seen = []

    class Probe(ember.utils.data.Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            seen.append(ember.utils.data.get_worker_info())
            return i

    ds = Probe()
    list(ember.utils.data.DataLoader(ds, num_workers=2))
    assert [w.id for w in seen] == [0, 1] and all(w.dataset is ds for w in seen)
    assert all(w.num_workers == 2 for w in seen) and seen[1].seed == seen[0].seed + 1
    with pytest.raises(AttributeError):
        seen[0].id = 3
    assert repr(seen[0]).startswith("WorkerInfo(id=0, num_workers=2, seed=")


def test_loader_option_errors():
    for kw in [dict(num_workers=0, prefetch_factor=2), dict(num_workers=2, prefetch_factor=-1),
               dict(persistent_workers=True), dict(timeout=-1),
               dict(multiprocessing_context="fork")]:
        same_error(lambda kw=kw: ember.utils.data.DataLoader([1, 2], **kw),
                   lambda kw=kw: torch.utils.data.DataLoader([1, 2], **kw))


class RangeStream(torch.utils.data.IterableDataset):
    """torch's documented example: worker_init_fn splits the range between the workers."""

    def __init__(self, lib_name, start=3, end=10):
        self.lib_name, self.start, self.end = lib_name, start, end

    def __iter__(self):
        return iter(range(self.start, self.end))


class EmberRangeStream(RangeStream, ember.utils.data.IterableDataset):
    pass


def _split_range(worker_id):
    import math

    import ember as e

    info = e.utils.data.get_worker_info() or torch.utils.data.get_worker_info()
    dataset = info.dataset
    overall_start, overall_end = dataset.start, dataset.end
    per_worker = int(math.ceil((overall_end - overall_start) / float(info.num_workers)))
    dataset.start = overall_start + worker_id * per_worker
    dataset.end = min(dataset.start + per_worker, overall_end)


def test_worker_init_fn_splits_an_iterable_dataset_as_torch():
    e = _collect("ember", epochs=1, dataset=EmberRangeStream("ember"), num_workers=2,
                 worker_init_fn=_split_range)
    t = _collect("torch", epochs=1, dataset=RangeStream("torch"), num_workers=2,
                 worker_init_fn=_split_range)
    _compare(e, t)


class Failing(torch.utils.data.Dataset):
    def __init__(self, cls):
        self.cls = cls

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 1:
            raise self.cls("bad item 1")
        return i


def _failing_init(worker_id):
    if worker_id == 1:
        raise ValueError("bad worker")


def _first_lines(lib, loader_kwargs, cls):
    got = []
    try:
        for batch in lib.utils.data.DataLoader(**loader_kwargs):
            got.append(int(batch))
    except cls as error:
        text = str(error)
        return got, text.splitlines()[0], "Original Traceback" in text
    raise AssertionError("no error")


def test_worker_errors_reraised_as_torch():
    # One torch loader per case: a failed torch loader shuts its processes down slowly.
    for kwargs, cls in [(dict(dataset=Failing(ValueError), num_workers=2), ValueError),
                        (dict(dataset=list(range(4)), num_workers=2,
                              worker_init_fn=_failing_init), ValueError)]:
        assert _first_lines(ember, kwargs, cls) == _first_lines(torch, kwargs, cls)
    got, first, has_traceback = _first_lines(ember, dict(dataset=Failing(KeyError),
                                                         num_workers=2), KeyError)
    # As torch's: the message prints as itself, not as a quoted repr.
    assert first == "Caught KeyError in DataLoader worker process 1." and has_traceback
