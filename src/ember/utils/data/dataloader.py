"""DataLoader: batches of a dataset in sampler order, collated into tensors. With
num_workers > 0 the batches are loaded in-process by emulated workers (see _worker.py),
which hand them out in torch's order and with each worker's random state."""

from __future__ import annotations

import collections.abc as abc
import copy
import itertools
import os
import warnings
from collections import deque
from collections.abc import Iterator
from typing import Any, Callable

import numpy as np

from ... import _random
from ..._tensor import Tensor
from ._worker import IterableShard, Worker
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def default_convert(data: Any) -> Any:
    """Converts NumPy arrays in data to tensors, leaving everything else as it is."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OUS":
        return Tensor._make(np.array(data, copy=True))
    if isinstance(data, abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch: list) -> Any:
    """Puts each data field into a tensor with an outer dimension of batch size: tensors
    are stacked, numbers become tensors, and tuples, lists and dicts are collated field by
    field."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        from ...ops.joining import stack

        return stack(list(batch), 0)
    if isinstance(elem, np.ndarray) and elem.dtype.kind not in "OUS":
        return default_collate([Tensor._make(np.array(b, copy=True)) for b in batch])
    if isinstance(elem, np.generic) and elem.dtype.kind not in "OUS":
        return Tensor._make(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor._make(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):
        return Tensor._make(np.array(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, abc.Mapping):
        return {k: default_collate([d[k] for d in batch]) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, abc.Sequence):
        it = iter(batch)
        size = len(next(it))
        if not all(len(e) == size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        return [default_collate(s) for s in zip(*batch)]
    raise TypeError(_ERR.format(type(elem)))


class DataLoader:
    """Combines a dataset and a sampler, and provides an iterable over the dataset in
    batches."""

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn: Any = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: Any = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing.let "
                "num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to "
                "None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError("multiprocessing_context can only be used with multi-process "
                             f"loading (num_workers > 0), but got num_workers={num_workers}")
        self.dataset = dataset
        self.num_workers = num_workers
        self.generator = generator
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._workers: list | None = None
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if batch_size is not None or \
                batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self._check_worker_number_rationality()

    def _check_worker_number_rationality(self) -> None:
        # torch warns, when a loader is made and whenever it starts workers, if it asks for
        # more workers than the CPUs this process may run on; ember's workers run in-process,
        # but the program is told what torch would tell it.
        if not self.num_workers:
            return
        affinity = getattr(os, "sched_getaffinity", None)
        suggest = len(affinity(0)) if affinity is not None else os.cpu_count()
        if suggest is not None and self.num_workers <= suggest:
            return
        if suggest is None:
            suggested = ("DataLoader is not able to compute a suggested max number of worker in "
                         "current system.")
        else:
            cpuset = "" if affinity is not None else " (`cpuset` is not taken into account)"
            suggested = (f"Our suggested max number of worker in current system is {suggest}"
                         f"{cpuset}, which is smaller than what this DataLoader is going to "
                         "create.")
        warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in "
                      f"total. {suggested} Please be aware that excessive worker creation might "
                      "get DataLoader running slow or even freeze, lower the worker number to "
                      "avoid potential slowness/freeze if necessary.", stacklevel=3)

    def __iter__(self) -> Iterator[Any]:
        if self.num_workers > 0:
            if self._workers is None:
                self._check_worker_number_rationality()
            return self._iter_workers()
        if self._iterable:
            return self._iter_iterable()
        index_iter = iter(self.batch_sampler if self.batch_sampler is not None
                          else self.sampler)
        # torch draws a base seed for its workers whenever an iterator is made.
        _random.random_(np.empty((), np.int64), generator=self.generator)
        return self._iter_map(index_iter)

    def _base_seed(self) -> int:
        return int(_random.random_(np.empty((), np.int64), generator=self.generator))

    def _iter_workers(self) -> Iterator[Any]:
        """torch's multi-process iterator, in-process: a base seed drawn from the loader's
        generator when the workers start (each epoch, or once with persistent_workers),
        prefetch_factor * num_workers batches dispatched round-robin from worker 0, one
        more each time a batch is handed out, and the batches handed out in order."""
        n = self.num_workers
        workers = self._workers
        if workers is None:
            base_seed = self._base_seed()
            workers = [Worker(i, n, base_seed, self._worker_dataset(), self.worker_init_fn)
                       for i in range(n)]
            if self.persistent_workers:
                self._workers = workers
        if self._iterable:
            shards = [IterableShard(w, w.info.dataset, self.batch_size, self.drop_last,
                                    self.collate_fn) for w in workers]
            index_iter: Iterator = itertools.repeat(None)
        else:
            shards = []
            index_iter = iter(self.batch_sampler if self.batch_sampler is not None
                              else self.sampler)
        active = [True] * n
        cycle = itertools.cycle(range(n))
        tasks: deque = deque()

        def put() -> None:
            try:
                index = next(index_iter)
            except StopIteration:
                return
            for _ in range(n):  # the next worker that still has data
                w = next(cycle)
                if active[w]:
                    break
            else:
                return
            tasks.append((w, index))

        for _ in range(self.prefetch_factor * n):
            put()
        return self._drain_workers(workers, shards, tasks, active, put)

    def _worker_dataset(self) -> Any:
        """The dataset a worker loads from. A worker process has its own copy, and
        torch's recipe for splitting an iterable dataset between workers changes that copy
        in worker_init_fn, so each emulated worker of an iterable dataset gets a copy too;
        map-style datasets (often large, and read only) are shared."""
        if not self._iterable:
            return self.dataset
        try:
            return copy.deepcopy(self.dataset)
        except Exception:  # noqa: BLE001
            return self.dataset  # not copyable (open files, locks): shared

    def _drain_workers(self, workers: list, shards: list, tasks: deque, active: list,
                       put: Callable) -> Iterator[Any]:
        while tasks:
            w, index = tasks.popleft()
            if not active[w]:
                continue  # sent to a worker whose data ran out: torch skips it
            if shards:
                ok, batch = shards[w].fetch()
                if not ok:
                    active[w] = False
                    put()
                    continue
            else:
                batch = workers[w].fetch(self._fetch_batch, index)
            put()
            yield batch

    def _fetch_batch(self, index: Any) -> Any:
        if self.batch_sampler is not None:
            return self.collate_fn(self._fetch(index))
        return self.collate_fn(self.dataset[index])

    def _fetch(self, indices: list) -> list:
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(indices)
        return [self.dataset[i] for i in indices]

    def _iter_map(self, index_iter: Iterator) -> Iterator[Any]:
        if self.batch_sampler is not None:
            for indices in index_iter:
                yield self.collate_fn(self._fetch(indices))
        else:
            for idx in index_iter:
                yield self.collate_fn(self.dataset[idx])

    def _iter_iterable(self) -> Iterator[Any]:
        _random.random_(np.empty((), np.int64), generator=self.generator)
        if self.batch_size is None:
            for item in self.dataset:
                yield self.collate_fn(item)
            return
        batch: list = []
        for item in self.dataset:
            batch.append(item)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        return len(self.sampler)
