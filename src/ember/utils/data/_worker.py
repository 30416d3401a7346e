"""DataLoader workers, emulated in-process: each worker has the random state torch gives
its worker process (torch seeded with base_seed + worker id, Python's random likewise,
NumPy from torch's hash of the two), its WorkerInfo and its worker_init_fn call, and runs
its share of the batches with that state swapped in, so that random augmentation in a
dataset draws what it draws under torch."""

from __future__ import annotations

import random
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ... import _random

__all__ = ["WorkerInfo", "get_worker_info"]


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """Information about the current DataLoader worker: its id (0 to num_workers - 1),
    the number of workers, the random seed set for it and the dataset it loads from."""

    id: int
    num_workers: int
    seed: int
    dataset: Any
    rng: Any = None
    worker_method: str | None = "multiprocessing"


_current: list = [None]


def get_worker_info() -> WorkerInfo | None:
    """Returns the information about the current DataLoader worker (id, num_workers, seed,
    dataset) while it loads data, and None in the main process."""
    return _current[0]


def _generate_state(base_seed: int, worker_id: int) -> list:
    """torch's seed for a worker's NumPy generator: a hash of the base seed and worker id
    (four 32-bit words, NumPy's SeedSequence scheme)."""
    init_a, mult_a, init_b, mult_b = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
    mix_mult_l, mix_mult_r, xshift, mask32 = 0xCA01F9DD, 0x4973F715, 16, 0xFFFFFFFF
    entropy = [worker_id, base_seed & mask32, base_seed >> 32, 0]
    pool = [0] * 4
    hash_const_a = init_a

    def hash_(value: int) -> int:
        nonlocal hash_const_a
        value = (value ^ hash_const_a) & mask32
        hash_const_a = (hash_const_a * mult_a) & mask32
        value = (value * hash_const_a) & mask32
        return (value ^ (value >> xshift)) & mask32

    def mix(x: int, y: int) -> int:
        result = ((mix_mult_l * x) & mask32) - ((mix_mult_r * y) & mask32)
        result &= mask32
        return (result ^ (result >> xshift)) & mask32

    for i in range(4):
        pool[i] = hash_(entropy[i])
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash_(pool[i_src]))
    hash_const_b = init_b
    state = []
    for i_dst in range(4):
        data_val = (pool[i_dst] ^ hash_const_b) & mask32
        hash_const_b = (hash_const_b * mult_b) & mask32
        data_val = (data_val * hash_const_b) & mask32
        state.append((data_val ^ (data_val >> xshift)) & mask32)
    return state


class _RandomStates:
    """The three random states a worker process has of its own: ember's default
    generator, Python's random module and NumPy's global generator."""

    __slots__ = ("ember", "python", "numpy")

    def capture(self) -> _RandomStates:
        self.ember = _random.default_generator._get_state_bytes()
        self.python = random.getstate()
        self.numpy = np.random.get_state()
        return self

    def restore(self) -> None:
        _random.default_generator._set_state_bytes(self.ember)
        random.setstate(self.python)
        np.random.set_state(self.numpy)


class KeyErrorMessage(str):
    """A KeyError's message that prints as itself (KeyError would print its repr)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return self


def _reraised(error: BaseException, worker_id: int) -> BaseException:
    """The exception torch raises in the main process for one raised in a worker: the same
    type, its message saying where it was caught and the original traceback."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    msg: str = (f"Caught {type(error).__name__} in DataLoader worker process {worker_id}.\n"
                f"Original {text}")
    cls = type(error)
    if cls is KeyError:
        msg = KeyErrorMessage(msg)
    elif getattr(cls, "message", None):
        return cls(message=msg)
    try:
        return cls(msg)
    except Exception:  # noqa: BLE001
        return RuntimeError(msg)


class Worker:
    """One emulated worker: its random states and info, entered around each piece of
    work it does (init_fn, building its dataset iterator, fetching a batch)."""

    def __init__(self, worker_id: int, num_workers: int, base_seed: int, dataset: Any,
                 init_fn: Callable | None) -> None:
        self.init_error: BaseException | None = None
        seed = base_seed + worker_id
        self.info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                               dataset=dataset)
        main = _RandomStates().capture()
        try:
            random.seed(seed)
            _random.manual_seed(seed)
            np.random.seed(_generate_state(base_seed, worker_id))
            self.states = _RandomStates().capture()
        finally:
            main.restore()
        if init_fn is not None:
            try:
                self.run(init_fn, worker_id)
            except Exception as error:  # noqa: BLE001
                # torch reports it with the worker's first batch.
                self.init_error = _reraised(error, worker_id)

    def fetch(self, fn: Callable, *args: Any) -> Any:
        """Runs a piece of the worker's loading; its errors reach the caller as torch
        re-raises a worker's errors in the main process."""
        if self.init_error is not None:
            error, self.init_error = self.init_error, None
            raise error
        try:
            return self.run(fn, *args)
        except Exception as error:  # noqa: BLE001
            raise _reraised(error, self.info.id) from None

    def run(self, fn: Callable, *args: Any) -> Any:
        """Calls fn(*args) as this worker: with its random states and WorkerInfo."""
        main = _RandomStates().capture()
        self.states.restore()
        _current[0] = self.info
        try:
            return fn(*args)
        finally:
            _current[0] = None
            self.states.capture()
            main.restore()


class IterableShard:
    """A worker's own pass over an iterable dataset, batched as torch's iterable fetcher
    batches: a short last batch unless drop_last, and the end once nothing is left."""

    def __init__(self, worker: Worker, dataset: Any, batch_size: int | None,
                 drop_last: bool, collate_fn: Callable) -> None:
        self.worker = worker
        self.it: Iterator = worker.run(iter, dataset)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self.ended = False

    def fetch(self) -> tuple:
        """(True, batch) or (False, None) once the worker's data is exhausted."""
        return self.worker.fetch(self._fetch)

    def _fetch(self) -> tuple:
        if self.ended:
            return False, None
        if self.batch_size is None:
            try:
                return True, self.collate_fn(next(self.it))
            except StopIteration:
                self.ended = True
                return False, None
        data = []
        for _ in range(self.batch_size):
            try:
                data.append(next(self.it))
            except StopIteration:
                self.ended = True
                break
        if not data or (self.drop_last and len(data) < self.batch_size):
            return False, None
        return True, self.collate_fn(data)
