"""Errors against torch: exception type and exact message for bad shapes, dims, dtypes and
autograd misuse."""

from __future__ import annotations

import pytest
import torch

import ember
from helpers import same_error

CASES = {
    "add_shapes": lambda L: L.ones(2, 3) + L.ones(4),
    "mul_shapes": lambda L: L.ones(2, 3) * L.ones(3, 2),
    "sub_shapes_3d": lambda L: L.ones(2, 3, 4) - L.ones(5, 1),
    "matmul_shapes": lambda L: L.ones(2, 3) @ L.ones(2, 3),
    "matmul_0d": lambda L: L.ones(()) @ L.ones(3),
    "mm_shapes": lambda L: L.mm(L.ones(2, 3), L.ones(4, 2)),
    "mm_rank": lambda L: L.mm(L.ones(3), L.ones(3, 2)),
    "mv_shapes": lambda L: L.mv(L.ones(2, 3), L.ones(2)),
    "dot_shapes": lambda L: L.dot(L.ones(3), L.ones(2)),
    "dot_rank": lambda L: L.dot(L.ones(3, 1), L.ones(3)),
    "bmm_shapes": lambda L: L.bmm(L.ones(2, 2, 3), L.ones(2, 2, 3)),
    "bmm_batch": lambda L: L.bmm(L.ones(2, 2, 3), L.ones(3, 3, 3)),
    "int_requires_grad": lambda L: L.ones(2, dtype=L.int64).requires_grad_(),
    "int_factory_requires_grad": lambda L: L.arange(3, requires_grad=True),
    "backward_no_grad": lambda L: L.ones(2).sum().backward(),
    "backward_nonscalar": lambda L: (L.ones(2, requires_grad=True) * 2).backward(),
    "backward_bad_gradient": lambda L: (L.ones(2, requires_grad=True) * 2).backward(
        L.ones(3)),
    "grad_bad_gradient": lambda L: L.autograd.grad(L.ones(2, requires_grad=True) * 2,
                                                   L.ones(2, requires_grad=True), L.ones(1)),
    "numpy_requires_grad": lambda L: L.ones(2, requires_grad=True).numpy(),
    "item_many": lambda L: L.ones(2, 2).item(),
    "item_empty": lambda L: L.ones(0).item(),
    "sum_dim": lambda L: L.ones(2, 3).sum(2),
    "sum_neg_dim": lambda L: L.ones(2, 3).sum(-3),
    "mean_dim": lambda L: L.ones(2, 3).mean((0, 5)),
    "mean_int": lambda L: L.ones(2, dtype=L.int64).mean(),
    "unsqueeze_dim": lambda L: L.ones(2).unsqueeze(3),
    "squeeze_dim": lambda L: L.ones(2).squeeze(1),
    "transpose_dim": lambda L: L.ones(2, 3).transpose(0, 2),
    "size_dim": lambda L: L.ones(2, 3).size(-3),
    "view_size": lambda L: L.ones(2, 3).view(4, 2),
    "view_stride": lambda L: L.ones(2, 3).t().view(6),
    "view_two_inferred": lambda L: L.ones(2, 3).view(-1, -1),
    "reshape_size": lambda L: L.ones(2, 3).reshape(5),
    "t_3d": lambda L: L.ones(2, 3, 4).t(),
    "grad_assign_shape": lambda L: setattr(L.ones(2, requires_grad=True), "grad", L.ones(3)),
    "grad_assign_dtype": lambda L: setattr(L.ones(2, requires_grad=True), "grad",
                                           L.ones(2, dtype=L.float64)),
    "requires_grad_nonleaf": lambda L: setattr(L.ones(2, requires_grad=True) * 2,
                                               "requires_grad", False),
    "add_str": lambda L: L.ones(2) + "a",
    "inplace_leaf": lambda L: L.ones(2, requires_grad=True).add_(1),
    "inplace_cast": lambda L: L.ones(2, dtype=L.long).add_(1.5),
    "pow_int_negative": lambda L: L.tensor([2, 3]) ** -1,
    "bool_neg": lambda L: -L.tensor([True]),
    "len_0d": lambda L: len(L.tensor(1.0)),
    "bool_many": lambda L: bool(L.ones(2)),
    "float_many": lambda L: float(L.ones(2)),
    # Found by the fuzzer (tests/test_fuzz_errors.py): NumPy's errors, other classes and
    # silent successes before.
    "mse_loss_shapes": lambda L: L.nn.functional.mse_loss(L.zeros(2, 3), L.zeros(4)),
    "where_shapes": lambda L: L.where(L.ones(2, 3) > 0, L.ones(4), 0.0),
    "batch_norm_channels": lambda L: L.nn.BatchNorm1d(3)(L.ones(4, 5)),
    "linear_negative": lambda L: L.nn.Linear(-1, 3),
    "full_str": lambda L: L.full((2,), "a"),
    "cross_entropy_0d": lambda L: L.nn.functional.cross_entropy(L.tensor(1.0), L.tensor(0)),
    "linear_0d": lambda L: L.nn.functional.linear(L.tensor(1.0), L.ones(3, 1)),
    "relu_list": lambda L: L.nn.functional.relu([1.0]),
    "softmax_int": lambda L: L.softmax(L.ones(3, dtype=L.int64), 0),
    "randn_int": lambda L: L.randn(2, dtype=L.int64),
    "lshift_float": lambda L: L.ones(3) << 1,
    "arange_nan": lambda L: L.arange(0, float("nan")),
    "squeeze_0d": lambda L: L.tensor(1.0).squeeze(4),
    "flatten_0d": lambda L: L.tensor(1.0).flatten(0, -3),
    "detach_view": lambda L: L.ones(4)[1:].detach_(),
    "adaptive_max_negative": lambda L: L.nn.functional.adaptive_max_pool2d(L.ones(2, 3, 5), -1),
    "unused_input": lambda L: L.autograd.grad((L.ones(2, requires_grad=True) * 2).sum(),
                                              L.ones(2, requires_grad=True)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_error_matches_torch(name):
    fn = CASES[name]
    same_error(lambda: fn(ember), lambda: fn(torch))


def test_second_backward_message():
    def run(lib):
        x = lib.ones(2, requires_grad=True)
        y = (x * x).sum()
        y.backward()
        y.backward()

    same_error(lambda: run(ember), lambda: run(torch))


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "//", "**", "<", ">="])
def test_operators_with_other_types(op):
    for other in ("a", None, [1.0], object()):
        same_error(lambda other=other: eval(f"x {op} other", {"x": ember.ones(2), "other": other}),
                   lambda other=other: eval(f"x {op} other", {"x": torch.ones(2), "other": other}))
        same_error(lambda other=other: eval(f"other {op} x", {"x": ember.ones(2), "other": other}),
                   lambda other=other: eval(f"other {op} x", {"x": torch.ones(2), "other": other}))


def test_reflected_operator_of_another_type_runs():
    class Other:
        def __radd__(self, x):
            return "radd"

        def __rmul__(self, x):
            return "rmul"

    assert ember.ones(2) + Other() == "radd"
    assert ember.ones(2) * Other() == "rmul"


def test_view_float_size_first_line():
    # torch lists its overloads after the first line; ember gives that first line.
    def first(lib):
        with pytest.raises(TypeError) as e:
            lib.ones(6).view(2.0, 3)
        return str(e.value).splitlines()[0]

    assert first(ember) == first(torch)
