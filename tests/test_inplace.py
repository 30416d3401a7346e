"""In-place ops against torch: values, version counters, history rebasing, gradients and
every error torch raises for them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, make_array, same_error

INPLACE = {
    "add_": lambda x, o: x.add_(o),
    "add_alpha": lambda x, o: x.add_(o, alpha=2),
    "sub_": lambda x, o: x.sub_(o),
    "mul_": lambda x, o: x.mul_(o),
    "div_": lambda x, o: x.div_(o),
    "iadd": lambda x, o: x.__iadd__(o),
    "imul": lambda x, o: x.__imul__(o),
    "isub": lambda x, o: x.__isub__(o),
    "itruediv": lambda x, o: x.__itruediv__(o),
    "clamp_": lambda x, o: x.clamp_(-0.5, 0.5),
    "zero_": lambda x, o: x.zero_(),
    "fill_": lambda x, o: x.fill_(0.25),
    "copy_": lambda x, o: x.copy_(o),
}


@pytest.mark.parametrize("name", list(INPLACE))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("other_shape", [(2, 3), (3,), ()])
def test_inplace_on_non_leaf(name, dtype, other_shape):
    op = INPLACE[name]

    def fn(lib, x, o):
        y = x * 1.5
        r = op(y, o + 1)
        assert r is y
        return y * y

    check_op(fn, [make_array((2, 3), dtype, 1), make_array(other_shape, dtype, 2)])

    def fn2(lib, x, o):
        y = x.sin()
        op(y, o)
        return y.sin()

    check_op(fn2, [make_array((2, 3), dtype, 1), make_array(other_shape, dtype, 2, 0.5, 2)])


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_node_names_and_versions(name):
    op = INPLACE[name]

    def run(lib):
        x = lib.ones(2, 3, requires_grad=True)
        o = lib.full((3,), 2.0, requires_grad=True)
        y = x * 2
        v0 = y._version
        op(y, o)
        return y.grad_fn.name(), y._version - v0, y.is_leaf, y.requires_grad

    assert run(ember) == run(torch)


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_without_grad(name):
    op = INPLACE[name]
    for dt in (np.float32, np.int64):
        a = make_array((2, 3), dt, 1, 1, 4)
        o = make_array((3,), dt, 2, 1, 4)
        e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
        try:
            rt = op(t, torch.from_numpy(o.copy()))
        except Exception:  # noqa: BLE001
            same_error(lambda a=a, o=o: op(ember.from_numpy(a.copy()), ember.from_numpy(o.copy())),
                       lambda a=a, o=o: op(torch.from_numpy(a.copy()), torch.from_numpy(o.copy())))
            continue
        re = op(e, ember.from_numpy(o.copy()))
        assert re is e
        assert_same(e, rt)
        assert e._version == t._version


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_leaf_errors(name):
    op = INPLACE[name]
    same_error(lambda: op(ember.ones(3, requires_grad=True), ember.ones(3)),
               lambda: op(torch.ones(3, requires_grad=True), torch.ones(3)))
    same_error(lambda: op(ember.ones(2, 3, requires_grad=True)[0:1].view(3), ember.ones(3)),
               lambda: op(torch.ones(2, 3, requires_grad=True)[0:1].view(3), torch.ones(3)))
    same_error(lambda: op(ember.ones(2, 3, requires_grad=True).view(6), ember.ones(6)),
               lambda: op(torch.ones(2, 3, requires_grad=True).view(6), torch.ones(6)))
    with ember.no_grad():
        x = ember.ones(3, requires_grad=True)
        op(x, ember.ones(3))
    assert x.requires_grad and x.is_leaf and x.grad_fn is None


def test_inplace_dtype_errors():
    for fn in (lambda lib: lib.ones(3, dtype=lib.int64).add_(1.5),
               lambda lib: lib.ones(3, dtype=lib.int64).mul_(lib.ones(3)),
               lambda lib: lib.ones(3, dtype=lib.int64).div_(2),
               lambda lib: lib.ones(3, dtype=lib.bool).add_(1),
               lambda lib: lib.ones(3, dtype=lib.int32).sub_(lib.ones(3, dtype=lib.float64)),
               lambda lib: lib.ones(3).add_(lib.ones(2, 3)),
               lambda lib: lib.ones(3).copy_(lib.ones(4)),
               lambda lib: lib.ones(2, 3).copy_(lib.ones(3, 3)),
               lambda lib: lib.ones(3).fill_(lib.ones(2)),
               lambda lib: lib.ones(3).copy_(lib.ones(2, 3)),
               lambda lib: lib.ones(2, 3, 4).copy_(lib.ones(3, 3, 5)),
               lambda lib: lib.ones(3, dtype=lib.int64).clamp_(max=1.5),
               lambda lib: lib.ones(3, dtype=lib.int64).clamp_(lib.tensor(0.5)),
               lambda lib: lib.ones(3, dtype=lib.int64).clamp_(0.5, 1.5)):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))
    for fn in (lambda lib: lib.ones(3, dtype=lib.int64).add_(2),
               lambda lib: lib.ones(3).add_(lib.ones(3, dtype=lib.float64)),
               lambda lib: lib.ones(3, dtype=lib.int64).copy_(lib.full((3,), 2.7)),
               lambda lib: lib.ones(3).mul_(lib.tensor(2, dtype=lib.int64)),
               lambda lib: lib.ones(2, 3).copy_(lib.arange(3.0))):
        assert_same(fn(ember), fn(torch))


def _modified(lib, which):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    if which == "saved_input":
        y = x * 2
        z = y * y
        y.add_(1)
    elif which == "saved_output":
        y = x * 2
        z = y.exp()
        z.mul_(2)
    elif which == "saved_output_sigmoid":
        z = x.sigmoid()
        z.add_(1)
    elif which == "leaf_via_data":
        z = x * x
        with lib.no_grad():
            x.mul_(2)
    elif which == "view":
        y = x * 1
        z = y.pow(2)
        y.view(3).zero_()
    elif which == "saved_input_twice":
        y = x * 2
        z = y.sin()
        y.add_(1)
        y.mul_(3)
    elif which == "saved_input_detached":
        y = x * 2
        z = y.sin()
        y.detach_()
        y.add_(1)
    elif which == "saved_view_of_modified_base":
        y = x * 2
        z = y[1:].sin()
        y.mul_(2)
    elif which == "saved_base_of_modified_view":
        y = x * 2
        z = y.exp() * y
        y[1:].mul_(2)
    elif which == "saved_constant_made_differentiable":
        c = lib.ones(3)
        z = x * c
        c.add_(x)
    elif which == "tanh_twice":
        y = x * 1
        z = y.tanh()
        z.tanh_()
        return z.sum().backward()
    else:
        raise AssertionError(which)
    z.sum().backward()


@pytest.mark.parametrize("which", ["saved_input", "saved_output", "saved_output_sigmoid",
                                   "leaf_via_data", "view", "tanh_twice", "saved_input_twice",
                                   "saved_input_detached", "saved_view_of_modified_base",
                                   "saved_base_of_modified_view",
                                   "saved_constant_made_differentiable"])
def test_modified_by_inplace_error_text(which):
    same_error(lambda: _modified(ember, which), lambda: _modified(torch, which))


def test_fill_with_tensor_value_gradient():
    def fn(lib, a, v):
        y = a * 2
        y.fill_(v)
        return y * a

    check_op(fn, [make_array((3,), np.float64, 1), make_array((), np.float64, 2)])
    check_op(fn, [make_array((3,), np.float32, 1), make_array((), np.float64, 2)])


def test_gradients_after_inplace_chains():
    def fn(lib, a):
        y = a * 1
        y.mul_(2).add_(a).div_(3)
        y.clamp_(-1, 1)
        z = y.clone()
        z.sub_(a * a)
        z += 1
        z *= a
        return z

    check_op(fn, [make_array((4,), np.float64, 1, -2, 2)])

    def copy_fn(lib, a, b):
        y = a * 1
        y.copy_(b * 3)
        return y * a

    check_op(copy_fn, [make_array((4,), np.float64, 1), make_array((4,), np.float64, 2)])
    check_op(copy_fn, [make_array((4,), np.float64, 1), make_array((), np.float64, 2)])


@pytest.mark.parametrize("program", [
    lambda L, x: (x * 1).log1p_(),
    lambda L, x: (x * 1).tril_(1),
    lambda L, x: (x * 1).triu_(-1),
])
def test_more_inplace_variants(program):
    check_op(program, [np.random.default_rng(5).random((4, 4))])


@pytest.mark.parametrize("program", [
    # Only what a gradient that is needed uses is saved, so changing the other operand in
    # place afterwards is no error, in torch as in ember.
    lambda L, a, w: (lambda x: (x * w, x.add_(1)))(a * 1)[0],
    lambda L, a, w: (lambda x: (x / w, x.add_(1)))(a * 1)[0],
    lambda L, a, w: (lambda x: (x * 2.0, x.add_(1)))(a * 1)[0],
])
def test_unneeded_operands_are_not_saved(program):
    rng = np.random.default_rng(1)
    a, w = rng.random(5) + 0.5, rng.random(5) + 0.5
    for lib in (torch, ember):
        ta = lib.from_numpy(a.copy()).requires_grad_(True)
        program(lib, ta, lib.from_numpy(w.copy())).sum().backward()
    check_op(lambda L, x, y: program(L, x, y), [a, w], grad=[True, False], double=False)


def test_needed_operand_modified_raises_as_in_torch():
    def program(lib):
        a = lib.ones(3, requires_grad=True)
        w = lib.ones(3, requires_grad=True)
        x = a * 1
        y = x * w
        x.add_(1)
        y.sum().backward()

    same_error(lambda: program(ember), lambda: program(torch))


_ACTIVATIONS_IN_PLACE = {
    "relu": lambda L, t: L.nn.functional.relu(t, inplace=True),
    "elu": lambda L, t: L.nn.functional.elu(t, 0.7, inplace=True),
    "leaky_relu": lambda L, t: L.nn.functional.leaky_relu(t, 0.2, inplace=True),
    "hardtanh": lambda L, t: L.nn.functional.hardtanh(t, -1.0, 2.0, inplace=True),
    "relu6": lambda L, t: L.nn.functional.relu6(t, inplace=True),
    "ELU": lambda L, t: L.nn.ELU(0.5, inplace=True)(t),
    "LeakyReLU": lambda L, t: L.nn.LeakyReLU(0.1, inplace=True)(t),
    "Hardtanh": lambda L, t: L.nn.Hardtanh(-0.5, 0.5, inplace=True)(t),
    "ReLU6": lambda L, t: L.nn.ReLU6(inplace=True)(t),
}


@pytest.mark.parametrize("name", sorted(_ACTIVATIONS_IN_PLACE))
def test_activations_in_place_write_their_input(name):
    act = _ACTIVATIONS_IN_PLACE[name]
    a = np.array([-2.0, -0.5, 0.25, 1.5, 3.0, 7.0])
    for lib in (ember, torch):
        t = lib.tensor(a)
        assert act(lib, t) is t
    names = []
    for lib in (ember, torch):
        x = lib.tensor(a, requires_grad=True)
        names.append(act(lib, x * 1).grad_fn.name())
    assert names[0] == names[1]
    check_op(lambda L, x: act(L, x * 1), [a + 0.01])
    # A leaf that requires grad cannot be overwritten, in torch as in ember.
    same_error(lambda: act(ember, ember.tensor(a, requires_grad=True)),
               lambda: act(torch, torch.tensor(a, requires_grad=True)))


def test_leaky_relu_in_place_with_negative_slope_fails_in_backward():
    def program(lib):
        x = lib.tensor([-1.0, 2.0], requires_grad=True)
        lib.nn.functional.leaky_relu(x * 1, -0.2, inplace=True).sum().backward()

    same_error(lambda: program(ember), lambda: program(torch))


@pytest.mark.parametrize("op", ["tanh_", "sigmoid_", "exp_", "elu"])
def test_result_of_in_place_op_changed_again_fails_in_backward(op):
    # The node of an in-place op that saves its result saves the tensor itself: changing
    # it again before backward is torch's "modified by an inplace operation" error.
    def program(lib):
        x = lib.tensor([0.5, -1.0, 2.0], requires_grad=True)
        y = x * 1
        if op == "elu":
            lib.nn.functional.elu(y, inplace=True)
        else:
            getattr(y, op)()
        y.mul_(2)
        y.sum().backward()

    same_error(lambda: program(ember), lambda: program(torch))
