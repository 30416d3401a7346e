"""Tensor printing, checked against torch's own repr for the same values and options."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from ember import _dtypes, _printing

NP_DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
             np.uint8, np.bool_]


def node_named(name: str) -> object:
    """Stands in for an autograd node: only its class name matters to printing."""
    return type(name, (), {})()


class Stand:
    """The few attributes of a tensor that printing reads."""

    def __init__(self, data: np.ndarray, requires_grad: bool = False, grad_fn=None) -> None:
        self._data = data
        self.dtype = _dtypes.from_numpy_dtype(data.dtype)
        self.requires_grad = requires_grad or grad_fn is not None
        self.grad_fn = grad_fn
        self.is_leaf = grad_fn is None


@pytest.fixture(autouse=True)
def _restore_options():
    torch_opts = torch._tensor_str.get_printoptions()
    ours = _printing.get_printoptions()
    torch_default, our_default = torch.get_default_dtype(), _dtypes.get_default_dtype()
    yield
    torch.set_printoptions(**torch_opts)
    _printing.set_printoptions(**ours)
    torch.set_default_dtype(torch_default)
    _dtypes.set_default_dtype(our_default)


def set_both(**kwargs) -> None:
    torch.set_printoptions(**kwargs)
    _printing.set_printoptions(**kwargs)


def check(data, dtype=None, requires_grad=False, add_node=False) -> str:
    """Print the values both ways and insist on the same text."""
    with np.errstate(over="ignore"):  # float16 overflows to inf, as torch's does
        data = np.asarray(data, dtype=dtype)
    ref = torch.from_numpy(data.copy())
    node = None
    if requires_grad:
        ref.requires_grad_()
    if add_node:
        ref = ref.requires_grad_() + 0
        node = node_named(type(ref.grad_fn).__name__)
    got = _printing.tensor_repr(Stand(data, requires_grad, node))
    assert got == repr(ref), f"\nours:\n{got}\ntorch:\n{ref!r}"
    return got


RNG = np.random.default_rng(1234)


# --------------------------------------------------------------------------- examples


def test_basic_examples():
    assert check([1.0, 2.0], np.float32, requires_grad=True) == \
        "tensor([1., 2.], requires_grad=True)"
    assert check([1, 2], np.int32) == "tensor([1, 2], dtype=torch.int32)"
    assert check(np.zeros((0, 3), np.float32)) == "tensor([], size=(0, 3))"
    check(0.6737, np.float32)
    check(RNG.random((3, 3)), np.float32)


@pytest.mark.parametrize("dtype", NP_DTYPES)
@pytest.mark.parametrize("shape", [(), (1,), (5,), (2, 3), (2, 3, 4), (2, 1, 3, 2)])
def test_dtypes_and_shapes(dtype, shape):
    if np.dtype(dtype).kind == "f":
        values = RNG.standard_normal(shape) * 10
    elif dtype is np.bool_:
        values = RNG.random(shape) > 0.5
    else:
        info = np.iinfo(dtype)
        values = RNG.integers(info.min, info.max, size=shape, endpoint=True)
    check(values, dtype)


@pytest.mark.parametrize("dtype", NP_DTYPES)
@pytest.mark.parametrize("shape", [(0,), (2, 0, 3), (0, 0), (1, 0)])
def test_empty(dtype, shape):
    check(np.zeros(shape), dtype)


@pytest.mark.parametrize("values", [
    [0.0], [-0.0], [0.0, -0.0], [1.0, -0.0, 2.5], [np.nan], [np.inf, -np.inf],
    [np.nan, 1.0], [np.nan, 1.5, -np.inf], [0.0, np.nan, -0.0], [1e-5, 1.0], [1e-4, 1.0],
    [1e8, 1.0], [1.5e8], [1000.0, 1.0], [1001.0, 1.0], [1e-300, 1e300], [123456789.0],
    [-1.0, 10.0, -100.0], [0.5, -0.25], [1e20, -3.0], [0.1, 0.2, 0.3], [99999.5],
    [1e-10, 1e10, 0.0, np.nan],
])
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_layouts(values, dtype):
    check(values, dtype)
    check(values[0], dtype)


@pytest.mark.parametrize("values", [
    [0, -1, 127], [-128], [5], [True], [False], [True, False], [255, 0],
])
@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int64, np.bool_])
def test_ints_and_bools(values, dtype):
    values = np.array(values).astype(dtype)
    check(values)
    check(values[0])


# --------------------------------------------------------------------------- random values


@st.composite
def float_arrays(draw):
    ndim = draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    n = int(np.prod(shape))
    exps = draw(st.lists(st.integers(-10, 10), min_size=n, max_size=n))
    mant = draw(st.lists(st.floats(-9.99, 9.99), min_size=n, max_size=n))
    special = draw(st.lists(st.sampled_from([None] * 8 + [0.0, -0.0, np.nan, np.inf, -np.inf]),
                            min_size=n, max_size=n))
    rounded = draw(st.booleans())
    values = np.array(mant) * 10.0 ** np.array(exps, dtype=np.float64)
    if rounded:
        values = np.round(values)
    for i, s in enumerate(special):
        if s is not None:
            values[i] = s
    dtype = draw(st.sampled_from([np.float16, np.float32, np.float64]))
    with np.errstate(over="ignore"):
        return values.reshape(shape).astype(dtype)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(float_arrays(), st.sampled_from([None, 0, 2, 6]), st.sampled_from([None, True, False]))
def test_random_floats(values, precision, sci_mode):
    set_both(precision=precision, sci_mode=sci_mode)
    check(values)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=20))
def test_random_int64(values):
    check(values, np.int64)


# --------------------------------------------------------------------------- layout


@pytest.mark.parametrize("shape", [(2000,), (100, 100), (3, 400, 3), (1001,), (7, 7, 7, 7),
                                   (1, 2000), (2000, 1)])
def test_summarised(shape):
    check(RNG.standard_normal(shape), np.float32)
    check(RNG.integers(-1000, 1000, size=shape), np.int64)


@pytest.mark.parametrize("options", [
    dict(threshold=5), dict(threshold=5, edgeitems=1), dict(threshold=5, edgeitems=0),
    dict(edgeitems=0), dict(threshold=10, edgeitems=2), dict(profile="short"),
    dict(profile="full"), dict(linewidth=40), dict(linewidth=10), dict(precision=2),
    dict(precision=0), dict(sci_mode=True), dict(sci_mode=False),
])
@pytest.mark.parametrize("shape", [(), (4,), (12,), (3, 12), (7, 2, 8), (20, 20)])
def test_options(options, shape):
    set_both(**options)
    check(RNG.standard_normal(shape) * 100, np.float32)
    check(np.round(RNG.standard_normal(shape) * 100), np.float64)
    check(RNG.integers(-10**6, 10**6, size=shape), np.int32)
    check(np.zeros((0,) + shape[1:]), np.float32)


@pytest.mark.parametrize("n", range(1, 40))
def test_row_wrapping_and_suffix_wrapping(n):
    values = np.arange(n) * 1.1 + 0.5
    check(values, np.float32, requires_grad=True)
    check(values, np.float32, add_node=True)
    check(values * 1e5, np.float64, add_node=True)
    check(np.arange(n) * 1001, np.int16)
    check(values.reshape(1, 1, n), np.float16, requires_grad=True)


def test_wrapping_narrow_lines():
    set_both(linewidth=40)
    for n in (5, 13, 27):
        check(np.arange(n, dtype=np.float32) / 3, add_node=True)
        check(np.arange(2 * n, dtype=np.float32).reshape(2, n) * 1e-6, requires_grad=True)


def test_grad_fn_and_requires_grad():
    check(np.float32(0.25), requires_grad=True)
    check(np.float32(0.25), add_node=True)
    check([[1.0, 2.0], [3.0, 4.0]], np.float64, add_node=True)
    node = node_named("BinaryCrossEntropyWithLogitsBackward0")
    out = _printing.tensor_repr(Stand(np.asarray(0.6737, np.float32), grad_fn=node))
    assert out == "tensor(0.6737, grad_fn=<BinaryCrossEntropyWithLogitsBackward0>)"


def test_default_dtype_float64():
    torch.set_default_dtype(torch.float64)
    _dtypes.set_default_dtype(_dtypes.float64)
    for dtype in NP_DTYPES:
        check(np.arange(3), dtype)
        check(np.zeros((0,)), dtype)
        check(np.ones(()), dtype, requires_grad=np.dtype(dtype).kind == "f")


def test_tensor_contents():
    out = _printing.tensor_repr(Stand(np.arange(3, dtype=np.int32), requires_grad=False),
                                tensor_contents="[...]")
    assert out == "tensor([...], dtype=torch.int32)"


def test_user_subclass_prefix():
    class Tensor(Stand):
        pass

    Tensor.__module__ = "ember._tensor"

    class MyT(Tensor):
        pass

    ours = MyT

    class MyT(torch.Tensor):
        pass

    data = np.array([1.0, 2.5], np.float32)
    assert _printing.tensor_repr(ours(data)) == repr(torch.from_numpy(data).as_subclass(MyT))
    assert _printing.tensor_repr(Tensor(data)) == repr(torch.from_numpy(data))


# --------------------------------------------------------------------------- options


def test_printoptions_state():
    assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()
    for kwargs in (dict(profile="full"), dict(precision=2, sci_mode=True), dict(linewidth=50),
                   dict(profile="short", edgeitems=5), dict(profile="bogus"),
                   dict(profile="default")):
        set_both(**kwargs)
        assert _printing.get_printoptions() == torch._tensor_str.get_printoptions()


def test_printoptions_context_manager():
    set_both(precision=3)
    with _printing.printoptions(precision=1, sci_mode=True):
        assert _printing.get_printoptions()["precision"] == 1
        assert _printing.get_printoptions()["sci_mode"] is True
    assert _printing.get_printoptions()["precision"] == 3
    assert _printing.get_printoptions()["sci_mode"] is None


def test_large_tensor_formats_only_what_it_shows():
    # A summarized tensor formats its shown corners, not its million elements: counted in
    # Python calls, not timed.
    data = RNG.random((1000, 1000)).astype(np.float32)
    calls = [0]

    def count(frame, event, arg):
        if event == "call":
            calls[0] += 1

    sys.setprofile(count)
    try:
        out = _printing.tensor_repr(Stand(data))
    finally:
        sys.setprofile(None)
    assert calls[0] < 10_000
    assert out == repr(torch.from_numpy(data))


def test_real_tensors():
    import ember

    x = ember.tensor([[1.0, -2.5], [3.0, 1e-5]], requires_grad=True)
    ref = torch.tensor([[1.0, -2.5], [3.0, 1e-5]], requires_grad=True)
    assert repr(x) == repr(ref)
    assert str(x * 2) == str(ref * 2)
    assert repr(ember.tensor([1, 2], dtype=ember.int32)) == repr(torch.tensor([1, 2],
                                                                              dtype=torch.int32))
    assert repr(ember.zeros(2, 0, 3)) == repr(torch.zeros(2, 0, 3))


@pytest.mark.parametrize("op", ["sort", "topk", "kthvalue"])
def test_sorting_results_print_as_torch_structseqs(op):
    args = {"sort": (), "topk": (2,), "kthvalue": (2,)}[op]
    e = getattr(ember.tensor([3.0, 1.0, 2.0]), op)(*args)
    t = getattr(torch.tensor([3.0, 1.0, 2.0]), op)(*args)
    assert repr(e) == repr(t) and str(e) == str(t)
    assert e.values is e[0] and e.indices is e[1]


def test_topk_of_a_0dim_tensor_returns_its_element_for_k_0_and_1():
    for k in (0, 1):
        e = ember.topk(ember.tensor(1.0), k, 0, False)
        t = torch.topk(torch.tensor(1.0), k, 0, False)
        assert repr(e) == repr(t)
