"""The Tensor API against torch: factories, metadata, conversions, autograd attributes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, make_array, same_error

# -- factories ------------------------------------------------------------------------------

DATA = [
    1, 2.5, True, [1, 2, 3], [1.0, 2], [True, False], [True, 2], [True, 2.5], [[1, 2], [3, 4]],
    [[[1.5]], [[2.5]]], [], [[]], [[], []], (1, 2), [np.float32(1.5)], [np.int32(3), 4],
    np.float64(2.0), -7, 2**40, [1e300], [[1, 2.0], (3, 4)], [np.float16(1), 2.5],
    [np.int8(2)], [np.float64(1.0), 1], [np.int32(3), 2.5], [True, np.int8(1)], np.int32(5),
    [-(2**63)], [2**63 - 1], [1.5, -2**40],
]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_from_python_data(data):
    assert_same(ember.tensor(data), torch.tensor(data))
    assert_same(ember.as_tensor(data), torch.as_tensor(data))
    for dt in ("float64", "int32", "bool", "float16", "int64"):
        try:
            t = torch.tensor(data, dtype=getattr(torch, dt))
        except Exception:  # noqa: BLE001
            same_error(lambda dt=dt: ember.tensor(data, dtype=getattr(ember, dt)),
                       lambda dt=dt: torch.tensor(data, dtype=getattr(torch, dt)))
            continue
        assert_same(ember.tensor(data, dtype=getattr(ember, dt)), t)


def test_tensor_of_tensors_and_arrays():
    assert_same(ember.tensor([ember.tensor(1.5), ember.tensor(2.0)]),
                torch.tensor([torch.tensor(1.5), torch.tensor(2.0)]))
    a = make_array((2, 3), np.float32, 1)
    assert_same(ember.tensor(a), torch.tensor(a))
    assert_same(ember.tensor(a, dtype=ember.float64), torch.tensor(a, dtype=torch.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_same(ember.tensor(ember.ones(2)), torch.tensor(torch.ones(2)))


def test_tensor_copies_and_as_tensor_shares():
    a = np.zeros(3)
    t = ember.tensor(a)
    a[0] = 1
    assert t.tolist() == [0.0, 0.0, 0.0]
    s = ember.as_tensor(a)
    a[1] = 2
    assert s.tolist() == [1.0, 2.0, 0.0]
    f = ember.from_numpy(a)
    f.fill_(7.0)
    assert a.tolist() == [7.0] * 3
    b = ember.ones(2)
    assert ember.as_tensor(b) is b


def test_tensor_copy_construct_warning():
    with warnings.catch_warnings(record=True) as we:
        warnings.simplefilter("always")
        ember.tensor(ember.ones(2))
    with warnings.catch_warnings(record=True) as wt:
        warnings.simplefilter("always")
        torch.tensor(torch.ones(2))
    assert [str(w.message) for w in we] == [str(w.message) for w in wt]


@pytest.mark.parametrize("data", [[[1, 2], [3]], [[1], 2], [1, [2]], [[[1, 2]], [[3]]],
                                  [[1, 2], []], "abc", [1, "a"], None, [None], object(),
                                  [[[1, 2, 3]], [[4]], 5], [1.5, [2]], b"ab", [1, None]],
                         ids=repr)
def test_tensor_bad_data_errors(data):
    same_error(lambda: ember.tensor(data), lambda: torch.tensor(data))
    for dt in ("float64", "int64"):
        same_error(lambda dt=dt: ember.tensor(data, dtype=getattr(ember, dt)),
                   lambda dt=dt: torch.tensor(data, dtype=getattr(torch, dt)))


def test_from_numpy_shares_memory_and_dtypes():
    for dt in (np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64,
               np.uint8, np.bool_):
        a = make_array((2, 2), dt, 1)
        e = ember.from_numpy(a)
        assert_same(e, torch.from_numpy(a))
        assert e.numpy() is a or np.shares_memory(e.numpy(), a)
    same_error(lambda: ember.from_numpy([1, 2]), lambda: torch.from_numpy([1, 2]))


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_size_factories(name):
    same_error(lambda: getattr(ember, name)(), lambda: getattr(torch, name)())
    for args in ((3,), (2, 3), ((2, 3),), ([2, 0],), (0,), ((),)):
        e, t = getattr(ember, name)(*args), getattr(torch, name)(*args)
        if name == "empty":
            assert e.shape == t.shape and e.dtype == ember.float32
        else:
            assert_same(e, t)
    for dt in ("float64", "int64", "bool", "int8", "float16"):
        e = getattr(ember, name)(2, dtype=getattr(ember, dt))
        t = getattr(torch, name)(2, dtype=getattr(torch, dt))
        assert e.dtype == getattr(ember, dt) and e.shape == t.shape
    e = getattr(ember, name)(2, requires_grad=True)
    assert e.requires_grad and e.is_leaf
    same_error(lambda: getattr(ember, name)(-1), lambda: getattr(torch, name)(-1))
    same_error(lambda: getattr(ember, name)(2, requires_grad=True, dtype=ember.int64),
               lambda: getattr(torch, name)(2, requires_grad=True, dtype=torch.int64))


def test_full():
    for value in (1, 2.5, True, -3):
        assert_same(ember.full((2, 3), value), torch.full((2, 3), value))
        assert_same(ember.full((2,), value, dtype=ember.float64),
                    torch.full((2,), value, dtype=torch.float64))
    assert_same(ember.full([], 4.0), torch.full([], 4.0))


ARANGES = [(5,), (0,), (1, 4), (1, 10, 3), (10, 1, -2), (0.0, 1.0, 0.1), (1, 2.5, 0.5),
           (-1.0, 1.0, 0.3), (0, 1, 0.1), (0.5,), (3, 3), (0.0, 0.6, 0.2), (1e-3, 1, 0.07),
           (2.739233746429086, 23.2392337, 1 / 3), (-9.669447289429417, 134.07555, 1.11),
           (0.3, 5.7, 1.5), (-7, 3.5, 0.25), (0, 100, 0.7), (5.5, -3.2, -0.3)]


@pytest.mark.parametrize("args", ARANGES, ids=repr)
def test_arange_exact(args):
    e, t = ember.arange(*args), torch.arange(*args)
    assert e.dtype == getattr(ember, str(t.dtype)[6:])
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    for dt in ("float64", "float32", "int64", "int32"):
        try:
            t = torch.arange(*args, dtype=getattr(torch, dt))
        except Exception:  # noqa: BLE001
            same_error(lambda dt=dt: ember.arange(*args, dtype=getattr(ember, dt)),
                       lambda dt=dt: torch.arange(*args, dtype=getattr(torch, dt)))
            continue
        e = ember.arange(*args, dtype=getattr(ember, dt))
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        assert e.numpy().dtype == t.numpy().dtype


def test_arange_errors():
    for args in ((0, 5, 0), (5, 0, 1), (0, 5, -1), (0.0, 5.0, 0.0), (1.0, 0.0, 0.5)):
        same_error(lambda a=args: ember.arange(*a), lambda a=args: torch.arange(*a))
        same_error(lambda a=args: ember.arange(*a, dtype=ember.int64),
                   lambda a=args: torch.arange(*a, dtype=torch.int64))


LINSPACES = [(0, 1, 5), (0, 1, 1), (0, 1, 0), (-3.5, 2.25, 7), (0, 10, 11), (1, -1, 6),
             (0.1, 0.9, 100), (0, 1, 2), (5, 5, 4), (-1e3, 1e3, 33),
             (-9.669447289429417, 134.0755527105706, 182), (2.13271551, -44.6722844, 108)]


@pytest.mark.parametrize("args", LINSPACES, ids=repr)
def test_linspace_exact(args):
    for dt in (None, "float64", "float32", "int64", "int32"):
        kw = {} if dt is None else {"dtype": getattr(ember, dt)}
        kt = {} if dt is None else {"dtype": getattr(torch, dt)}
        e, t = ember.linspace(*args, **kw), torch.linspace(*args, **kt)
        assert e.numpy().dtype == t.numpy().dtype
        np.testing.assert_array_equal(e.numpy(), t.numpy())


def test_linspace_errors():
    same_error(lambda: ember.linspace(0, 1, -1), lambda: torch.linspace(0, 1, -1))


def test_eye_and_likes():
    for args in ((3,), (2, 4), (0,), (4, 2)):
        assert_same(ember.eye(*args), torch.eye(*args))
        assert_same(ember.eye(*args, dtype=ember.int64), torch.eye(*args, dtype=torch.int64))
    same_error(lambda: ember.eye(-1), lambda: torch.eye(-1))
    for dt in (np.float32, np.int64, np.bool_, np.float64):
        a = make_array((2, 3), dt, 2)
        e, t = ember.from_numpy(a), torch.from_numpy(a)
        assert_same(ember.zeros_like(e), torch.zeros_like(t))
        assert_same(ember.ones_like(e), torch.ones_like(t))
        assert_same(ember.full_like(e, 3), torch.full_like(t, 3))
        assert_same(ember.ones_like(e, dtype=ember.float64),
                    torch.ones_like(t, dtype=torch.float64))
        assert ember.empty_like(e).shape == e.shape and ember.empty_like(e).dtype == e.dtype
    r = ember.zeros_like(ember.ones(2, requires_grad=True))
    assert not r.requires_grad and ember.ones_like(r, requires_grad=True).requires_grad


# -- metadata and conversion -----------------------------------------------------------------

def test_metadata():
    for shape in ((), (3,), (2, 0, 4)):
        a = make_array(shape, np.float32, 1)
        e, t = ember.from_numpy(a), torch.from_numpy(a)
        assert e.shape == t.shape and tuple(e.size()) == tuple(t.size())
        assert repr(e.shape) == repr(t.shape) and repr(e.size()) == repr(t.size())
        assert e.dim() == t.dim() == e.ndim == t.ndim
        assert e.numel() == t.numel()
        assert isinstance(e.shape, tuple)
        for d in range(-len(shape), len(shape)):
            assert e.size(d) == t.size(d)
        assert str(e.device) == str(t.device) == "cpu"
        assert repr(e.device) == repr(t.device)
        assert e.is_leaf and not e.requires_grad and e.grad_fn is None
    assert ember.Size([2, 3]) == torch.Size([2, 3])
    assert repr(ember.Size([])) == repr(torch.Size([]))
    assert ember.zeros(2, 3).shape[1:] == ember.Size([3])


def test_item_tolist_numpy():
    for a in (np.array(2.5, np.float32), np.array([[1, 2], [3, 4]]), np.array([True]),
              np.array(7, np.int32), np.zeros((2, 0))):
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        assert e.tolist() == t.tolist() and type(e.tolist()) is type(t.tolist())
        if a.size == 1:
            assert e.item() == t.item() and type(e.item()) is type(t.item())
        np.testing.assert_array_equal(e.numpy(), t.numpy())
        np.testing.assert_array_equal(np.asarray(e), np.asarray(t))
        assert np.asarray(e).dtype == np.asarray(t).dtype
    same_error(lambda: ember.zeros(2).item(), lambda: torch.zeros(2).item())
    same_error(lambda: ember.zeros(0).item(), lambda: torch.zeros(0).item())
    same_error(lambda: ember.zeros(2, requires_grad=True).numpy(),
               lambda: torch.zeros(2, requires_grad=True).numpy())
    e = ember.zeros(2, requires_grad=True)
    np.testing.assert_array_equal(e.detach().numpy(), np.zeros(2, np.float32))
    assert np.asarray(ember.ones(2), dtype=np.float64).dtype == np.float64


def test_python_protocols():
    e, t = ember.tensor([1.5, -2.0, 3.0]), torch.tensor([1.5, -2.0, 3.0])
    assert len(e) == len(t)
    assert [x.item() for x in e] == [x.item() for x in t]
    assert_same(list(e), list(t))
    for v in (ember.tensor(2.7), ember.tensor([3]), ember.tensor(0.0), ember.tensor(-1)):
        w = torch.tensor(v.tolist())
        assert bool(v) == bool(w) and float(v) == float(w) and int(v) == int(w)
    assert [10, 20, 30][ember.tensor(1)] == 20
    same_error(lambda: [1, 2][ember.tensor(1.0)], lambda: [1, 2][torch.tensor(1.0)])
    same_error(lambda: bool(e), lambda: bool(t))
    same_error(lambda: bool(ember.zeros(0)), lambda: bool(torch.zeros(0)))
    same_error(lambda: len(ember.tensor(1.0)), lambda: len(torch.tensor(1.0)))
    same_error(lambda: iter(ember.tensor(1.0)), lambda: iter(torch.tensor(1.0)))
    same_error(lambda: float(e), lambda: float(t))


def test_format_of_0dim_tensors():
    for v in (2.5, 1 / 3, -7, True, 1e-8):
        e, t = ember.tensor(v), torch.tensor(v)
        assert f"{e}" == f"{t}"
        assert format(e, "") == format(t, "")
        if not isinstance(v, bool):
            assert f"{e:.3f}" == f"{t:.3f}"
            assert f"{e:>10.2e}" == f"{t:>10.2e}"
    e, t = ember.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    assert f"{e}" == f"{t}"
    same_error(lambda: f"{e:.3f}", lambda: f"{t:.3f}")
    r = ember.tensor(2.0, requires_grad=True) * 2
    assert f"{r:.2f}" == f"{torch.tensor(2.0, requires_grad=True) * 2:.2f}"


def test_clone_detach():
    for lib in (ember, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        c = y.clone()
        assert c.grad_fn.name() == "CloneBackward0" and c.requires_grad
        d = y.detach()
        assert d.is_leaf and not d.requires_grad and d.grad_fn is None
        v0 = y._version
        d.add_(1)
        assert y._version == v0 + 1 == d._version
        assert y.tolist() == [3.0, 5.0]
        y.detach_()
        assert y.is_leaf and not y.requires_grad and y.grad_fn is None
        assert x.data.requires_grad is False and x.data.is_leaf
    check_op(lambda lib, x: x.clone() * x.clone(), [make_array((2, 2), np.float64, 1)])


def test_requires_grad_rules():
    for lib in (ember, torch):
        x = lib.ones(2)
        assert x.requires_grad_() is x and x.requires_grad
        x.requires_grad_(False)
        assert not x.requires_grad
        x.requires_grad = True
        assert x.requires_grad
    same_error(lambda: ember.ones(2, dtype=ember.int64).requires_grad_(),
               lambda: torch.ones(2, dtype=torch.int64).requires_grad_())
    same_error(lambda: ember.tensor([1, 2], requires_grad=True),
               lambda: torch.tensor([1, 2], requires_grad=True))
    same_error(lambda: ember.tensor([True]).requires_grad_(),
               lambda: torch.tensor([True]).requires_grad_())

    def set_false(lib):
        y = lib.ones(2, requires_grad=True) * 2
        y.requires_grad = False

    same_error(lambda: set_false(ember), lambda: set_false(torch))
    for lib in (ember, torch):
        y = lib.ones(2, requires_grad=True) * 2
        y.requires_grad_(True)
        assert y.requires_grad


def test_grad_assignment():
    for lib in (ember, torch):
        x = lib.ones(2, 3, requires_grad=True)
        x.grad = lib.full((2, 3), 2.0)
        assert x.grad.tolist() == [[2.0] * 3] * 2
        x.grad = None
        assert x.grad is None

    def bad(lib, value):
        x = lib.ones(2, 3, requires_grad=True)
        x.grad = value(lib)

    for value in (lambda lib: lib.ones(3), lambda lib: lib.ones(2, 3, dtype=lib.float64),
                  lambda lib: lib.ones(2, 3, dtype=lib.int64), lambda lib: 3,
                  lambda lib: [1.0]):
        same_error(lambda value=value: bad(ember, value), lambda value=value: bad(torch, value))


def test_retain_grad_and_nonleaf_grad_warning():
    def run(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 2
        z = y * 3
        y.retain_grad()
        z.sum().backward()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            zg = z.grad
        messages = [str(m.message).split(" (Triggered internally")[0] for m in w]
        return y.grad.tolist(), zg, messages, y.retains_grad, z.retains_grad

    assert run(ember) == run(torch)
    same_error(lambda: ember.ones(2).retain_grad(), lambda: torch.ones(2).retain_grad())


def test_version_counter():
    for lib in (ember, torch):
        x = lib.ones(3)
        assert x._version == 0
        x.add_(1)
        x.mul_(2)
        v = x.view(3)
        v.zero_()
        assert x._version == 3 == v._version
        x += 1
        assert x._version == 4
        assert (x + 1)._version == 0


# -- dtype conversions -------------------------------------------------------------------------

CASTS = ["float", "double", "half", "long", "int", "bool"]


@pytest.mark.parametrize("cast", CASTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.bool_, np.float16,
                                   np.int32])
def test_dtype_conversions(cast, dtype):
    a = make_array((2, 3), dtype, 4, -3, 3)
    check_op(lambda lib, x: getattr(x, cast)(), [a])
    tname = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
             "int": "int32", "bool": "bool"}[cast]
    check_op(lambda lib, x: x.to(getattr(lib, tname)), [a])
    check_op(lambda lib, x: x.to(dtype=getattr(lib, tname)), [a])


def test_to_same_dtype_returns_self_and_gradients_through_to():
    for lib in (ember, torch):
        x = lib.ones(2)
        assert x.to(lib.float32) is x and x.float() is x and x.to("cpu") is x
        assert x.to(lib.float32, copy=True) is not x
    check_op(lambda lib, x: (x.to(lib.float64) * 3).to(lib.float32).exp(),
             [make_array((3,), np.float32, 1)])
    check_op(lambda lib, x: x.double() * x, [make_array((3,), np.float32, 1)])
    check_op(lambda lib, x: x.half().float() * 2, [make_array((3,), np.float32, 1)],
             rtol=1e-3, atol=1e-3)
    e = ember.ones(2, requires_grad=True)
    t = torch.ones(2, requires_grad=True)
    assert e.double().grad_fn.name() == t.double().grad_fn.name()
    assert e.long().requires_grad == t.long().requires_grad
    assert e.to(ember.float64).dtype == ember.float64
    x = ember.ones(2)
    assert x.to(ember.ones(1, dtype=ember.int64)).dtype == ember.int64
    assert x.to("cpu", ember.float64).dtype == ember.float64


def test_float_to_int_conversion_values():
    a = np.array([-2.7, -0.5, 0.5, 2.7, 1e3], np.float32)
    for cast in ("long", "int", "bool"):
        check_op(lambda lib, x, c=cast: getattr(x, c)(), [a])


def test_default_dtype():
    try:
        for lib in (ember, torch):
            lib.set_default_dtype(lib.float64)
        assert_same(ember.tensor([1.5]), torch.tensor([1.5]))
        assert_same(ember.ones(2), torch.ones(2))
        assert_same(ember.arange(0.0, 1.0, 0.25), torch.arange(0.0, 1.0, 0.25))
        assert_same(ember.linspace(0, 1, 3), torch.linspace(0, 1, 3))
        assert_same(ember.tensor([1, 2]) / 2, torch.tensor([1, 2]) / 2)
        assert_same(ember.tensor([1, 2]) * 1.5, torch.tensor([1, 2]) * 1.5)
        assert_same(ember.ones(2, dtype=ember.float32) * 1.5,
                    torch.ones(2, dtype=torch.float32) * 1.5)
        assert ember.get_default_dtype() == ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
        torch.set_default_dtype(torch.float32)
    assert ember.get_default_dtype() is ember.float32
    same_error(lambda: ember.set_default_dtype(ember.int64),
               lambda: torch.set_default_dtype(torch.int64))


def test_device():
    for lib in (ember, torch):
        x = lib.zeros(2, device="cpu")
        assert x.device == lib.device("cpu") and x.device.type == "cpu"
        assert x.cpu() is x
    assert repr(ember.device("cpu")) == repr(torch.device("cpu"))
    assert str(ember.device("cpu:0")) == str(torch.device("cpu:0"))
    assert repr(ember.device("cpu", 0)) == repr(torch.device("cpu", 0))
