"""Every spelling of a call that torch programs use, run under torch and under ember in
this process and compared by what each returns or raises: keyword forms of the size and
dims arguments that ember takes as *args, memory formats and layouts, view(dtype),
resize_, rot90, tril_indices and triu_indices."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import check_op


def outcome(lib, call: str) -> tuple:
    """What `call` (a Python expression of L, the library, and x, a 2x3 float tensor, and
    x4, a 2x3x4x5 one) gives: its repr and, for a tensor, its dtype, strides and
    requires_grad; or the exception's class and first line."""
    L = lib  # noqa: N806 - the name the expressions use
    L.manual_seed(0)
    x = L.arange(6.0).reshape(2, 3) / 7
    x4 = L.arange(120.0).reshape(2, 3, 4, 5)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = eval(call, {"L": L, "x": x, "x4": x4})
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e).splitlines()[0] if str(e) else ""
    if isinstance(r, lib.Tensor):
        return repr(r), repr(r.dtype), r.stride(), r.requires_grad
    return (repr(r),)


KEYWORD_FORMS = [
    "L.flip(x, dims=[1])", "x.flip(dims=[1])", "x.flip(dims=(0, 1))",
    "L.permute(x, dims=(1, 0))", "x.permute(dims=(1, 0))", "x.view(size=(3, 2))",
    "x.reshape(shape=(3, 2))", "L.reshape(x, shape=(3, 2))", "x.expand(size=(2, 2, 3))",
    "x.repeat(repeats=(2, 1))", "L.tile(x, dims=(2,))", "x.tile(dims=(2, 1))",
    "L.zeros(size=(2, 3))", "L.ones(size=(2,))", "L.randn(size=(2,))", "L.rand(size=(2,))",
    "L.empty(size=(2,)).shape", "x.new_zeros(size=(2,))", "x.new_ones(size=(2,))",
    "x.new_empty(size=(2,)).shape", "x.split(split_size=1, dim=0)", "x.split(1)",
    "L.split(x, split_size_or_sections=1, dim=0)", "L.zeros(2, size=(2,))",
    "x.flip(1, dims=[1])", "x.permute(0, dims=(1, 0))", "x.view(2, size=(3, 2))",
]

FORMATS = [
    "x4.is_contiguous(memory_format=L.channels_last)",
    "x4.contiguous(memory_format=L.channels_last)",
    "x4.contiguous(memory_format=L.channels_last).is_contiguous()",
    "x4.contiguous(memory_format=L.channels_last).is_contiguous("
    "memory_format=L.channels_last)",
    "x4.contiguous(memory_format=L.channels_last).clone()",
    "L.empty_like(x4.contiguous(memory_format=L.channels_last)).stride()",
    "x4.contiguous(memory_format=L.channels_last).contiguous()",
    "x4.contiguous(memory_format=L.channels_last).to(memory_format=L.contiguous_format)",
    "L.zeros_like(x4, memory_format=L.channels_last)",
    "L.ones_like(x4.transpose(1, 2))", "L.full_like(x4.transpose(1, 2), 2.0)",
    "x4.transpose(1, 2).clone(memory_format=L.preserve_format)",
    "x4.to(L.float64, memory_format=L.channels_last)",
    "L.empty(2, 3, 4, 5, memory_format=L.channels_last).stride()",
    "x4.layout", "L.strided", "x4.contiguous(memory_format=L.preserve_format) is x4",
    "x4.is_contiguous(memory_format=L.preserve_format)",
    "x4.transpose(1, 2).is_contiguous(memory_format=L.preserve_format)",
    "L.randn(2, 3).contiguous(memory_format=L.channels_last)",
    "L.empty(2, 3, memory_format=L.preserve_format)",
    "L.empty(2, 3, memory_format=L.channels_last)",
    "L.randn(2, 3).to(memory_format=L.channels_last)",
    "L.randn(2, 3).clone(memory_format=L.channels_last)",
    "x4.transpose(1, 2).contiguous(memory_format=L.preserve_format)",
    "L.randn(2, 3, 4, 5, 6).contiguous(memory_format=L.channels_last_3d).stride()",
    "L.ones(1, 3, 1, 1).is_contiguous(memory_format=L.channels_last)",
    "L.zeros(2, layout=L.strided)",
    "L.zeros(2, dtype=L.float64, layout=L.strided, device='cpu')",
    "x.contiguous(memory_format=L.contiguous_format) is x",
]

VIEW_DTYPE = [
    "x.view(L.int32)", "x.view(dtype=L.int16)", "x.view(L.uint8)", "x.view(L.float64)",
    "L.tensor(1.0).view(L.float64)", "L.tensor(3.0).view(L.int32)",
    "L.arange(4.0).reshape(2, 2).t().view(L.float64)", "L.arange(8.0)[1:5].view(L.float64)",
    "L.arange(8.0).reshape(2, 4)[:, :2].view(L.float64)",
    "L.arange(16.0).reshape(4, 4)[:, ::2].view(L.int16)",
    "L.arange(6, dtype=L.int64).view(L.float64)",
    "L.arange(24.0).reshape(2, 3, 4).transpose(0, 1).view(L.float64)",
    "L.arange(6.0).reshape(2, 3)[:, :2].view(L.float16)",
    "L.arange(6.0, requires_grad=True).view(L.float32)",
    "L.arange(6.0, requires_grad=True).view(L.float32).grad_fn",
    "L.tensor([True, False]).view(L.uint8)", "x.view(2, dtype=L.int32)",
]

ROT90 = [
    "L.rot90(x)", "L.rot90(x, 2)", "L.rot90(x, 3)", "L.rot90(x, -1)", "L.rot90(x, 5)",
    "L.rot90(x, 0)", "x.rot90(1, [1, 0])", "L.rot90(x, dims=[1, 0])",
    "L.rot90(x, k=1, dims=(0, 1))",
    "L.rot90(x4, 1, [2, 0])", "L.rot90(x4, 3, [-1, 1])", "L.rot90(x, 1, [0])",
    "L.rot90(L.ones(3), 1, [0, 0])", "L.rot90(x, 1, [0, 0])", "L.rot90(x, 1, [0, 2])",
    "L.rot90(x, 1, [-3, 1])", "L.rot90(x, 1, [0, -2])", "L.rot90(x, 1.5)",
    "L.rot90(L.ones(3), 1, [0, 5])", "L.rot90(x, 1, [0, 5, 1])", "L.rot90(x, 1, [5, 5])",
    "L.rot90(x4, 1, [5, 0])",
    "L.rot90(x.requires_grad_(), 1).grad_fn.name()",
]


TRIANGLE_INDICES = [
    f"L.{name}({args})" for name in ("tril_indices", "triu_indices") for args in (
        "3, 3", "3, 4, 1", "4, 3, -1", "0, 3", "3, 3, 5", "3, 3, dtype=L.int32", "-1, 3",
        "3, -1", "3, 3, dtype=L.float32", "3, 3, dtype=L.bool", "3, 3, dtype=L.uint8",
        "3, 3, dtype=L.int16", "3.0, 3", "3, 3, offset=-10", "3, 3, -2", "2, 5, 2")
]


@pytest.mark.parametrize("call", KEYWORD_FORMS + FORMATS + VIEW_DTYPE + ROT90 + TRIANGLE_INDICES)
def test_call_form_matches_torch(call):
    assert outcome(ember, call) == outcome(torch, call)


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 6])
def test_rot90_gradients(k):
    check_op(lambda L, a: L.rot90(a, k, (2, 0)), [np.random.default_rng(k + 1).random((2, 3, 4))])


def test_view_dtype_shares_memory_and_version_counter():
    results = []
    for lib in (torch, ember):
        z = lib.zeros(3)
        v = z.view(lib.int32)
        v[0] = 1065353216
        results.append((z.tolist(), z._version, v._version))
    assert results[0] == results[1]


def test_memory_formats_and_layouts_pickle_and_print():
    for name in ("contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
                 "strided"):
        obj = getattr(ember, name)
        assert repr(obj) == repr(getattr(torch, name))
        assert pickle.loads(pickle.dumps(obj)) is obj
    assert isinstance(ember.channels_last, ember.memory_format)
    assert isinstance(ember.strided, ember.layout)


def test_a_sparse_layout_is_refused_rather_than_given_dense():
    with pytest.raises(NotImplementedError, match="sparse_coo"):
        ember.zeros(2, layout=ember.sparse_coo)


RESIZE = [
    "L.arange(6.0).resize_(2, 2)", "L.arange(6.0).resize_(8)[:6]", "L.arange(6.0).resize_(6)",
    "L.arange(6.0).resize_([2, 3])", "L.arange(6.0).resize_(size=(1,))",
    "L.arange(6.0).resize_(())", "L.arange(6.0).resize_(L.Size([3]))",
    "L.arange(6.0)[::2].resize_(3)", "L.arange(6.0).reshape(2, 3).t().resize_(3, 2)",
    "L.arange(6.0).reshape(2, 3).t().resize_(2, 2)", "L.arange(6.0)[1:3].resize_(4)",
    "L.arange(6.0, requires_grad=True).resize_(3)", "L.arange(6.0).resize_(-1)",
    "L.arange(6.0).resize_(2, 3.0)", "L.arange(6.0).resize_as_(L.zeros(2, 2))",
    "L.resize_as_(L.zeros(2, 3), L.zeros(6))",
]


@pytest.mark.parametrize("call", RESIZE)
def test_resize_matches_torch(call):
    assert outcome(ember, call) == outcome(torch, call)


def test_resize_reads_the_memory_left_by_an_earlier_shrink():
    results = []
    for lib in (torch, ember):
        a = lib.arange(6.0)
        b = a[1:3]
        b.resize_(4)
        y = lib.arange(6.0)
        v0 = y._version
        y.resize_(2, 2)
        y.resize_(6)
        results.append((b.tolist(), a.tolist(), y.tolist(), y._version - v0))
    assert results[0] == results[1]


IN_PLACE = [
    "f().eq_(2)", "f().lt_(L.tensor([2.0, 2.0, 2.0]))",
    "f().logical_and_(L.tensor([1.0, 0.0, 1.0]))",
    "f().logical_not_()", "i().bitwise_and_(2)", "i().bitwise_not_()", "i().bitwise_left_shift_(1)",
    "i().bitwise_right_shift_(1)", "i().bitwise_or_(4)", "i().bitwise_xor_(L.tensor([1, 1, 1]))",
    "f().divide_(2, rounding_mode='floor')", "f().multiply_(2)", "f().subtract_(1, alpha=2)",
    "f().negative_()", "f().true_divide_(2)", "(-f()).absolute_()", "i().true_divide_(2)",
    "i().eq_(2.5)", "f().ge_(2)", "f().greater_(2)", "f().less_equal_(2)", "f().not_equal_(2)",
    "f().gt_(L.tensor(2.0))", "f().le_(L.ones(2))", "f().greater_equal_(1)", "f().less_(3)",
    "f().logical_or_(L.zeros(3))", "f().logical_xor_(L.ones(3))", "f().ne_(L.ones(3))",
    "L.zeros(2, 2).addmm_(L.ones(2, 3), L.ones(3, 2), beta=0.5, alpha=2)",
    "L.ones(2, 2).addbmm_(L.ones(3, 2, 4), L.ones(3, 4, 2))",
    "L.ones(3, 2, 2).baddbmm_(L.ones(3, 2, 1), L.ones(3, 1, 2))",
    "L.ones(2).addmv_(L.ones(2, 3), L.ones(3))",
    "L.tensor([1, 2, 3], dtype=L.int32).cumsum_(0)",
    "L.tensor([1, 2, 3], dtype=L.int32).cumprod_(0)",
    "f().cumsum_(0)", "f().cumsum_(dim=0, dtype=L.float64)",
    "L.tensor([True, False]).logical_or_(L.tensor([False, False]))", "f().eq_('a')",
    "f().logical_and_(2.0)", "(L.tensor([1.0, 2.0], requires_grad=True) * 1).eq_(1.0)",
    "(L.tensor([1.0, 2.0], requires_grad=True) * 1).lt_(L.ones(2))",
    "L.tensor([1.0, 2.0], requires_grad=True).eq_(1.0)",
    "x.is_cpu", "x.get_device()", "x.nbytes", "x.itemsize", "x.conj() is x",
    "x.resolve_conj() is x",
    "x.resolve_neg() is x", "x.is_conj()", "x.is_neg()", "x.conj_physical() is x", "L.conj(x) is x",
    "L.real(x) is x", "x.real is x", "x.share_memory_() is x", "L.tensor(1.0).nbytes",
    "L.ones(3, dtype=L.float16).itemsize", "x.imag", "L.imag(x)", "L.conj('a')", "x.conj(1)",
]


@pytest.mark.parametrize("call", IN_PLACE)
def test_in_place_and_attribute_matches_torch(call):
    results = []
    for L in (torch, ember):  # noqa: N806 - the name the calls use
        env = {"L": L, "f": lambda L=L: L.tensor([1.0, 2.0, 3.0]),
               "i": lambda L=L: L.tensor([1, 2, 3]), "x": L.arange(6.0).reshape(2, 3)}
        try:
            results.append(repr(eval(call, env)))
        except Exception as e:  # noqa: BLE001
            results.append(f"{type(e).__name__}: {str(e).splitlines()[0]}")
    assert results[0] == results[1]


@pytest.mark.parametrize("other_is_tensor", [False, True])
def test_in_place_comparison_records_a_zero_gradient(other_is_tensor):
    results = []
    for lib in (torch, ember):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        w = lib.tensor([3.0, 0.0], requires_grad=True)
        y = x * 2
        z = y.lt_(w) if other_is_tensor else y.gt_(3.0)
        (z * x + w).sum().backward()
        results.append((z.grad_fn.name(), x.grad.tolist(), w.grad.tolist()))
    assert results[0] == results[1]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("weight", [0.1, 0.9, 0.5, 0.001, 0.999, 0.4999, 1.0, 0.0, -0.3, 1.7,
                                    "tensor"])
def test_lerp_bits_are_torch_s(dtype, weight):
    # torch's kernel is one fused multiply-add from the nearer end, in float for half.
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(5000).astype(dtype) for _ in range(2))
    w = rng.uniform(-0.5, 1.5, 5000).astype(dtype)
    results = []
    for lib in (torch, ember):
        wt = lib.from_numpy(w) if weight == "tensor" else weight
        results.append(lib.from_numpy(a).lerp(lib.from_numpy(b), wt).numpy())
    np.testing.assert_array_equal(results[1].view(np.uint8), results[0].view(np.uint8))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("alpha", [-0.01, 0.3, 2.0, -1e-3, 3])
@pytest.mark.parametrize("name", ["add", "sub", "add_", "sub_"])
def test_add_with_alpha_bits_are_torch_s(dtype, alpha, name):
    # torch fuses x + alpha * y into one multiply-add (SGD's p.add_(g, alpha=-lr)).
    rng = np.random.default_rng(1)
    a, b = (rng.standard_normal(3000).astype(dtype) for _ in range(2))
    results = [getattr(lib.from_numpy(a.copy()), name)(lib.from_numpy(b), alpha=alpha).numpy()
               for lib in (torch, ember)]
    np.testing.assert_array_equal(results[1].view(np.uint8), results[0].view(np.uint8))


@pytest.mark.parametrize("options", [{"momentum": 0.9}, {}, {"weight_decay": 0.01},
                                     {"momentum": 0.9, "nesterov": True},
                                     {"momentum": 0.8, "dampening": 0.3, "weight_decay": 1e-3}])
def test_sgd_trajectory_is_torch_s(options):
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((5, 3)).astype(np.float32)
    g = rng.standard_normal((20, 5, 3)).astype(np.float32)
    results = []
    for lib in (torch, ember):
        w = lib.nn.Parameter(lib.tensor(w0))
        opt = lib.optim.SGD([w], lr=0.05, **options)
        for step in g:
            w.grad = lib.tensor(step)
            opt.step()
        results.append(w.detach().numpy())
    np.testing.assert_array_equal(results[1], results[0])
