"""The fast paths of the training ops against torch: relu's gradient, log_softmax over a
batch of short rows, cross-entropy and nll_loss over a batch of class indices, linear's
bias and weight gradients, max pooling over disjoint windows. Each is checked where it
differs from the general path: special values (NaN, inf, -0, ties), dtypes, the cases that
must fall back, and second derivatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, make_array, same_error

FLOATS = [np.float32, np.float64]


def F(lib):
    return lib.nn.functional


def arr(*shape, seed=0, dtype=np.float64, low=-2.0, high=2.0):
    return make_array(shape, dtype, seed, low, high)


def grads(lib, fn, arrays, go):
    """fn's output and the gradients of <output, go> with respect to every array."""
    xs = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(lib, *xs)
    out.backward(lib.tensor(go))
    return out.detach().numpy(), [x.grad.numpy() for x in xs]


def same_bits(e, t):
    """Equal values, NaN where NaN, and the same sign bits (so -0 stays -0)."""
    assert e.dtype == t.dtype
    np.testing.assert_array_equal(e, t)
    np.testing.assert_array_equal(np.signbit(e), np.signbit(t))


# -- relu's gradient --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_grad_special_values(dtype):
    x = np.array([[1.0, -1.0, 0.0, -0.0], [np.nan, np.inf, -np.inf, 2.5]], dtype)
    go = np.array([[np.nan, np.inf, 3.0, 4.0], [-0.0, 5.0, np.nan, -np.inf]], dtype)
    e = grads(ember, lambda lib, x: F(lib).relu(x), [x], go)
    t = grads(torch, lambda lib, x: F(lib).relu(x), [x], go)
    np.testing.assert_array_equal(e[0], t[0])
    same_bits(e[1][0], t[1][0])


@pytest.mark.parametrize("shape", [(), (0,), (5,), (3, 4, 2)])
def test_relu_grad_shapes_and_double(shape):
    check_op(lambda lib, x: F(lib).relu(x) * x, [arr(*shape)])
    check_op(lambda lib, x: x.t().relu() if x.dim() == 2 else x.relu(), [arr(4, 6)])


# -- log_softmax over a batch of short rows -----------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("shape", [(64, 2), (128, 10), (100, 64), (64, 65), (63, 10)])
def test_log_softmax_batches(dtype, shape):
    check_op(lambda lib, x: F(lib).log_softmax(x, 1), [arr(*shape, dtype=dtype)])
    check_op(lambda lib, x: F(lib).log_softmax(x, -1), [arr(*shape, dtype=dtype, seed=1)])


def test_log_softmax_batch_special_rows():
    x = arr(80, 5, seed=2)
    x[0] = [1000.0, 0.0, -1000.0, 3.0, 2.0]
    x[1] = [-np.inf, 1.0, 2.0, -np.inf, 0.0]
    x[2] = -np.inf
    x[3, 1] = np.inf
    x[4, 2] = np.nan
    check_op(lambda lib, x: F(lib).log_softmax(x, 1), [x], double=False)
    e = F(ember).log_softmax(ember.tensor(x), 1)
    assert e.is_contiguous()
    assert e.grad_fn is None


def test_log_softmax_batch_contiguous_and_named():
    x = ember.tensor(arr(70, 3).T.copy().T, requires_grad=True)
    out = F(ember).log_softmax(x, 1)
    assert out.is_contiguous() and out.stride() == (3, 1)
    assert out.grad_fn.name() == "LogSoftmaxBackward0"


# -- cross-entropy and nll_loss over class indices ---------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_batch(dtype, reduction):
    tgt = np.random.default_rng(3).integers(0, 10, 128)
    check_op(lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=reduction),
             [arr(128, 10, dtype=dtype), tgt], grad=[True, False])
    check_op(lambda lib, x, t: lib.nn.CrossEntropyLoss(reduction=reduction)(x, t),
             [arr(128, 10, dtype=dtype, seed=4), tgt], grad=[True, False])


@pytest.mark.parametrize("ignore_index", [-100, 0, 3, 7, 12, -1])
def test_nll_loss_ignore_index(ignore_index):
    tgt = np.array([0, 1, 2, 1, 0, 2, 1, 1])
    for reduction in ("mean", "sum"):
        check_op(lambda lib, x, t, r=reduction: F(lib).nll_loss(x, t, ignore_index=ignore_index,
                                                                reduction=r),
                 [arr(8, 3), tgt], grad=[True, False])
    tgt = np.array([0, 7, 3, 3, 7, 1, 2, 0])
    check_op(lambda lib, x, t: F(lib).cross_entropy(x, t, ignore_index=ignore_index),
             [arr(8, 8), tgt], grad=[True, False])


def test_cross_entropy_ignored_targets():
    # minGPT's loss: targets of -1 where no loss is wanted, ignore_index=-1; the rows' log
    # softmax once, then nll_loss's general path, with torch's values, gradient and graph.
    rng = np.random.default_rng(12)
    tgt = rng.integers(0, 10, 192)
    tgt[rng.random(192) < 0.5] = -1
    for reduction in ("mean", "sum"):
        check_op(lambda lib, x, t, r=reduction: F(lib).cross_entropy(x, t, ignore_index=-1,
                                                                     reduction=r),
                 [arr(192, 10, seed=13), tgt], grad=[True, False])
    x = ember.tensor(arr(192, 10, seed=13), requires_grad=True)
    loss = F(ember).cross_entropy(x, ember.tensor(tgt), ignore_index=-1)
    assert loss.grad_fn.name() == "NllLossBackward0"
    assert loss.grad_fn.next_functions[0][0].name() == "LogSoftmaxBackward0"
    bad = np.where(tgt == -1, 10, tgt)
    same_error(lambda: F(ember).cross_entropy(ember.randn(192, 10), ember.tensor(bad),
                                              ignore_index=-1),
               lambda: F(torch).cross_entropy(torch.randn(192, 10), torch.tensor(bad),
                                              ignore_index=-1))


def test_nll_loss_all_ignored_and_out_of_range():
    check_op(lambda lib, x, t: F(lib).nll_loss(x, t, ignore_index=1),
             [arr(3, 4), np.array([1, 1, 1])], grad=[True, False], double=False)
    for bad in ([0, 4, 1], [0, -2, 1]):
        same_error(lambda bad=bad: F(ember).nll_loss(ember.randn(3, 4), ember.tensor(bad)),
                   lambda bad=bad: F(torch).nll_loss(torch.randn(3, 4), torch.tensor(bad)))


def test_cross_entropy_graph_and_saved_target():
    x = ember.tensor(arr(6, 4), requires_grad=True)
    t = ember.tensor([0, 1, 3, 2, 2, 1])
    loss = F(ember).cross_entropy(x, t)
    tl = F(torch).cross_entropy(torch.tensor(arr(6, 4), requires_grad=True),
                                torch.tensor([0, 1, 3, 2, 2, 1]))
    assert loss.grad_fn.name() == tl.grad_fn.name()
    assert loss.grad_fn.next_functions[0][0].name() == tl.grad_fn.next_functions[0][0].name()
    t.zero_()
    loss.backward()
    expected = torch.tensor(arr(6, 4), requires_grad=True)
    F(torch).cross_entropy(expected, torch.tensor([0, 1, 3, 2, 2, 1])).backward()
    assert_same(x.grad, expected.grad)


# -- linear ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", FLOATS)
def test_linear_batch(dtype):
    check_op(lambda lib, x, w, b: F(lib).linear(x, w, b),
             [arr(16, 5, dtype=dtype), arr(7, 5, dtype=dtype, seed=1),
              arr(7, dtype=dtype, seed=2)])
    check_op(lambda lib, x, w, b: F(lib).linear(x, w, b),
             [arr(2, 3, 5, dtype=dtype), arr(7, 5, dtype=dtype, seed=1),
              arr(7, dtype=dtype, seed=2)])
    check_op(lambda lib, x, w, b: F(lib).linear(x, w, b),
             [arr(4, 5, dtype=dtype), arr(1, 5, dtype=dtype, seed=1),
              arr(1, dtype=dtype, seed=2)])


def test_linear_bias_broadcasts():
    check_op(lambda lib, x, w, b: F(lib).linear(x, w, b),
             [arr(4, 5), arr(3, 5, seed=1), arr(1, seed=2)])
    check_op(lambda lib, x, w, b: F(lib).linear(x, w, b),
             [arr(4, 5), arr(3, 5, seed=1), arr(4, 3, seed=2)])
    check_op(lambda lib, x, w, b: F(lib).linear(x, w, b),
             [arr(4, 5), arr(3, 5, seed=1), np.array(0.5)])


def test_linear_weight_grad_layout():
    lin = ember.nn.Linear(5, 3)
    lin(ember.randn(4, 5)).sum().backward()
    assert lin.weight.grad.is_contiguous() and lin.bias.grad.is_contiguous()
    lin2 = ember.nn.Linear(5, 3)
    lin2.weight.grad = None
    out = lin2(ember.randn(4, 5))
    assert out.grad_fn.name() == "AddmmBackward0"


# -- max pooling over disjoint windows ---------------------------------------------------------

def pool_both(x, grad_out_seed=0, **kw):
    """Outputs, indices and input gradients of max_pool2d under ember and torch."""
    rng = np.random.default_rng(grad_out_seed)
    res = []
    for lib in (ember, torch):
        t = lib.tensor(x, requires_grad=True)
        out, idx = F(lib).max_pool2d(t, return_indices=True, **kw)
        go = rng.standard_normal(tuple(out.shape)).astype(x.dtype)
        go.reshape(-1)[0] = np.inf
        go.reshape(-1)[-1] = np.nan
        out.backward(lib.tensor(go))
        res.append((out.detach().numpy(), idx.numpy(), t.grad.numpy(), out.grad_fn.name()))
        rng = np.random.default_rng(grad_out_seed)
    return res


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": (2, 3)},
                                {"kernel_size": 3, "stride": 3}, {"kernel_size": 1},
                                {"kernel_size": (3, 2), "ceil_mode": True}])
def test_max_pool_blocks_ties(dtype, kw):
    x = np.random.default_rng(5).integers(0, 3, (2, 3, 7, 9)).astype(dtype)
    (eo, ei, eg, en), (to, ti, tg, tn) = pool_both(x, **kw)
    same_bits(eo, to)
    np.testing.assert_array_equal(ei, ti)
    same_bits(eg, tg)
    assert en == tn


def test_max_pool_blocks_nan_and_inf():
    x = np.random.default_rng(6).standard_normal((3, 8, 8))
    x[0, 0, 0] = x[0, 1, 1] = np.nan
    x[0, 2, 3] = np.nan
    x[1, :2, :2] = -np.inf
    x[2, 4:6, 4:6] = np.inf
    x[2, 0, 1] = np.nan
    x[2, 1, 0] = np.nan
    for k in (2, 4, (2, 4)):
        (eo, ei, eg, _), (to, ti, tg, _) = pool_both(x, kernel_size=k)
        same_bits(eo, to)
        np.testing.assert_array_equal(ei, ti)
        same_bits(eg, tg)


def test_max_pool_blocks_without_indices_and_double():
    x = arr(2, 3, 6, 6)
    check_op(lambda lib, x: F(lib).max_pool2d(x, 2) ** 2, [x])
    check_op(lambda lib, x: lib.nn.MaxPool2d(3)(x) * x.sum(), [arr(3, 7, 7, seed=1)])
    check_op(lambda lib, x: F(lib).max_pool2d(x, (1, 2)), [arr(1, 2, 3, 4, seed=2)])
    out = F(ember).max_pool2d(ember.tensor(x), 2)
    assert tuple(out.shape) == (2, 3, 3, 3) and out.grad_fn is None


def test_max_pool_blocks_empty_and_errors():
    check_op(lambda lib, x: F(lib).max_pool2d(x, 2), [arr(0, 2, 4, 4)])
    check_op(lambda lib, x: F(lib).max_pool2d(x, 3, 1), [arr(0, 2, 4, 4)])
    for shape in [(1, 2, 1, 1), (2, 3, 0, 4), (0, 4, 4), (4, 4)]:
        same_error(lambda s=shape: F(ember).max_pool2d(ember.randn(*s), 2),
                   lambda s=shape: F(torch).max_pool2d(torch.randn(*s), 2))
