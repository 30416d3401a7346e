"""ember.nn.functional against torch.nn.functional: values, gradients, second derivatives,
node names and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, check_op, make_array, same_error


def F(lib):
    return lib.nn.functional


def arr(*shape, seed=0, dtype=np.float64, low=-2.0, high=2.0):
    return make_array(shape, dtype, seed, low, high)


# -- softmax -----------------------------------------------------------------------------

@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_family(fn, dim):
    check_op(lambda lib, x: getattr(F(lib), fn)(x, dim), [arr(3, 4, 5)])
    check_op(lambda lib, x: getattr(lib, fn)(x, dim), [arr(3, 4, 5, dtype=np.float32)])


def test_log_softmax_stable_and_method():
    x = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 1.0, 2.0]])
    check_op(lambda lib, x: x.log_softmax(1), [x], double=False)
    check_op(lambda lib, x: x.softmax(-1), [arr(2, 3)])


def test_softmax_grad_fn_names():
    x = ember.randn(2, 3, requires_grad=True)
    assert F(ember).softmax(x, 1).grad_fn.name() == "SoftmaxBackward0"
    assert F(ember).log_softmax(x, 1).grad_fn.name() == "LogSoftmaxBackward0"


# -- linear and convolution ----------------------------------------------------------------

def test_linear_and_addmm_name():
    check_op(lambda lib, x, w, b: F(lib).linear(x, w, b), [arr(4, 3), arr(5, 3), arr(5)])
    check_op(lambda lib, x, w, b: F(lib).linear(x, w, b), [arr(2, 4, 3), arr(5, 3), arr(5)])
    check_op(lambda lib, x, w: F(lib).linear(x, w), [arr(3), arr(5, 3)])
    x, w, b = (ember.from_numpy(a).requires_grad_() for a in (arr(4, 3), arr(5, 3), arr(5)))
    y = F(ember).linear(x, w, b)
    assert y.grad_fn.name() == "AddmmBackward0"
    assert y.grad_fn.next_functions[2][0].name() == "TBackward0"


def test_bilinear():
    check_op(lambda lib, a, b, w, c: F(lib).bilinear(a, b, w, c),
             [arr(3, 4), arr(3, 2), arr(5, 4, 2), arr(5)])


@pytest.mark.parametrize("kw", [
    {}, {"stride": 2}, {"padding": 1}, {"padding": "same"}, {"padding": "valid"},
    {"dilation": 2, "padding": 2}, {"stride": (2, 1), "padding": (1, 0)},
])
def test_conv2d(kw):
    check_op(lambda lib, x, w, b: F(lib).conv2d(x, w, b, **kw),
             [arr(2, 4, 7, 6), arr(6, 4, 3, 3, seed=1), arr(6, seed=2)])


def test_conv2d_groups_no_bias_float32_unbatched():
    check_op(lambda lib, x, w: F(lib).conv2d(x, w, groups=2, padding=1),
             [arr(2, 4, 5, 5, dtype=np.float32), arr(6, 2, 3, 2, seed=1, dtype=np.float32)],
             rtol=1e-4, atol=1e-5)
    check_op(lambda lib, x, w: F(lib).conv2d(x, w), [arr(3, 5, 5), arr(2, 3, 2, 2, seed=1)])
    check_op(lambda lib, x, w: F(lib).conv2d(x, w, padding="same"),
             [arr(1, 2, 5, 6), arr(2, 2, 2, 4, seed=1)])


@pytest.mark.parametrize("kw", [{}, {"stride": 2, "padding": 1}, {"dilation": 2, "groups": 2}])
def test_conv1d(kw):
    check_op(lambda lib, x, w, b: F(lib).conv1d(x, w, b, **kw),
             [arr(2, 4, 9), arr(6, 4 // kw.get("groups", 1), 3, seed=1), arr(6, seed=2)])


@pytest.mark.parametrize("kw", [{}, {"stride": 2}, {"stride": 2, "padding": 1,
                                                     "output_padding": 1},
                                {"groups": 2, "dilation": 2}])
def test_conv_transpose2d(kw):
    check_op(lambda lib, x, w, b: F(lib).conv_transpose2d(x, w, b, **kw),
             [arr(2, 4, 4, 5), arr(4, 3, 3, 3, seed=1), arr(3 * kw.get("groups", 1), seed=2)])


def test_conv_transpose1d():
    check_op(lambda lib, x, w: F(lib).conv_transpose1d(x, w, stride=3),
             [arr(2, 3, 4), arr(3, 2, 2, seed=1)])


def test_conv_node_and_errors():
    x = ember.randn(1, 2, 5, 5)
    w = ember.randn(3, 2, 3, 3, requires_grad=True)
    assert F(ember).conv2d(x, w).grad_fn.name() == "ConvolutionBackward0"
    tx, tw = torch.randn(1, 2, 5, 5), torch.randn(3, 3, 3, 3)
    same_error(lambda: F(ember).conv2d(x, ember.randn(3, 3, 3, 3)),
               lambda: torch.nn.functional.conv2d(tx, tw))
    same_error(lambda: F(ember).conv2d(x, ember.randn(3, 2, 7, 7)),
               lambda: torch.nn.functional.conv2d(tx, torch.randn(3, 2, 7, 7)))


def test_unfold_fold():
    check_op(lambda lib, x: F(lib).unfold(x, (2, 3), padding=1, stride=(1, 2)),
             [arr(2, 3, 5, 6)])
    check_op(lambda lib, x: F(lib).fold(x, (4, 5), 2, stride=1), [arr(2, 12, 12)])


# -- pooling -------------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2,
                                                      "padding": 1},
                                {"kernel_size": 2, "ceil_mode": True},
                                {"kernel_size": (2, 3), "dilation": 2}])
def test_max_pool2d(kw):
    check_op(lambda lib, x: F(lib).max_pool2d(x, **kw), [arr(2, 3, 7, 8)])
    e, ei = F(ember).max_pool2d(ember.from_numpy(arr(2, 3, 7, 8)), return_indices=True, **kw)
    t, ti = torch.nn.functional.max_pool2d(torch.from_numpy(arr(2, 3, 7, 8)),
                                           return_indices=True, **kw)
    assert_same(e, t)
    assert_same(ei, ti)


def test_max_pool1d_and_names():
    check_op(lambda lib, x: F(lib).max_pool1d(x, 3, 2, 1), [arr(2, 3, 9)])
    x = ember.randn(1, 1, 4, 4, requires_grad=True)
    assert F(ember).max_pool2d(x, 2).grad_fn.name() == "MaxPool2DWithIndicesBackward0"


@pytest.mark.parametrize("kw", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2,
                                                      "padding": 1},
                                {"kernel_size": 3, "stride": 2, "padding": 1,
                                 "count_include_pad": False},
                                {"kernel_size": 2, "ceil_mode": True, "stride": 2},
                                {"kernel_size": 3, "padding": 1, "ceil_mode": True,
                                 "stride": 2, "count_include_pad": False},
                                {"kernel_size": 2, "divisor_override": 3}])
def test_avg_pool2d(kw):
    check_op(lambda lib, x: F(lib).avg_pool2d(x, **kw), [arr(2, 3, 7, 8)])


def test_avg_pool1d_adaptive():
    check_op(lambda lib, x: F(lib).avg_pool1d(x, 3, 2, 1), [arr(2, 3, 9)])
    for size in [(3, 2), 4, (None, 3), 1]:
        check_op(lambda lib, x, size=size: F(lib).adaptive_avg_pool2d(x, size),
                 [arr(2, 3, 7, 5)])
    x = ember.randn(1, 1, 4, 4, requires_grad=True)
    assert F(ember).adaptive_avg_pool2d(x, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    assert F(ember).avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"


# -- normalization -------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 5)])
def test_batch_norm_training(shape):
    rm_e, rv_e = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    rm_t, rv_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    stats = {ember: (rm_e, rv_e), torch: (rm_t, rv_t)}

    def fn(lib, x, w, b):
        rm, rv = stats[lib]
        return F(lib).batch_norm(x, rm, rv, w, b, training=True, momentum=0.2)

    check_op(fn, [arr(*shape), arr(3, seed=1), arr(3, seed=2)])
    assert_same(rm_e, rm_t)
    assert_same(rv_e, rv_t)
    check_op(lambda lib, x: F(lib).batch_norm(
        x, lib.tensor([0.1, 0.2, 0.3], dtype=lib.float64),
        lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64), training=False), [arr(*shape)],
        double=False)


def test_layer_group_norm():
    check_op(lambda lib, x, w, b: F(lib).layer_norm(x, (4, 5), w, b),
             [arr(3, 4, 5), arr(4, 5, seed=1), arr(4, 5, seed=2)])
    check_op(lambda lib, x: F(lib).layer_norm(x, [5]), [arr(3, 4, 5, dtype=np.float32)])
    check_op(lambda lib, x, w, b: F(lib).group_norm(x, 2, w, b),
             [arr(3, 4, 5, 2), arr(4, seed=1), arr(4, seed=2)])
    x = ember.randn(2, 3, requires_grad=True)
    assert F(ember).layer_norm(x, (3,)).grad_fn.name() == "NativeLayerNormBackward0"


# -- embedding, dropout --------------------------------------------------------------------

def test_embedding():
    idx = np.array([[0, 2, 1], [2, 2, 4]])
    check_op(lambda lib, w, i: F(lib).embedding(i, w), [arr(5, 3), idx], grad=[True, False])
    check_op(lambda lib, w, i: F(lib).embedding(i, w, padding_idx=2), [arr(5, 3), idx],
             grad=[True, False])
    w = ember.randn(5, 3, requires_grad=True)
    assert F(ember).embedding(ember.tensor([1]), w).grad_fn.name() == "EmbeddingBackward0"
    same_error(lambda: F(ember).embedding(ember.tensor([5]), ember.randn(5, 3)),
               lambda: torch.nn.functional.embedding(torch.tensor([5]), torch.randn(5, 3)))


@pytest.mark.parametrize("p", [0.0, 0.3, 0.5, 1.0])
def test_dropout_same_mask_as_torch(p):
    torch.manual_seed(3)
    ember.manual_seed(3)
    tx = torch.ones(4, 7, dtype=torch.float32, requires_grad=True)
    ex = ember.ones(4, 7, dtype=ember.float32, requires_grad=True)
    t = torch.nn.functional.dropout(tx, p)
    e = F(ember).dropout(ex, p)
    assert_same(e, t)
    assert_same(F(ember).dropout(ex, p, training=False), tx)
    same_error(lambda: F(ember).dropout(ex, 1.5), lambda: torch.nn.functional.dropout(tx, 1.5))


# -- activations ---------------------------------------------------------------------------

@pytest.mark.parametrize("name,kw", [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}), ("elu", {}),
    ("elu", {"alpha": 0.5}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 1.5}), ("logsigmoid", {}),
    ("relu6", {}), ("softmin", {"dim": 1}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 1.7}),
    ("threshold", {"threshold": 0.3, "value": -2.0}), ("hardsigmoid", {}), ("hardswish", {}),
    ("softsign", {}), ("hardshrink", {}), ("hardshrink", {"lambd": 1.2}), ("softshrink", {}),
    ("softshrink", {"lambd": 0.9}), ("tanhshrink", {}),
])
def test_activations(name, kw):
    x = arr(4, 5) * 3
    # torch has no second derivative of hardsigmoid (checked below).
    double = name != "hardsigmoid"
    check_op(lambda lib, x: getattr(F(lib), name)(x, **kw), [x], double=double)
    check_op(lambda lib, x: getattr(F(lib), name)(x, **kw), [x.astype(np.float32)],
             atol=1e-5, double=double)


def test_hardsigmoid_has_no_second_derivative():
    def program(lib):
        x = lib.tensor([-4.0, 0.5, 1.0], requires_grad=True)
        g, = lib.autograd.grad(F(lib).hardsigmoid(x).sum(), x, create_graph=True)
        assert g.grad_fn.name() == "torch::autograd::NotImplemented"
        g.sum().backward()

    same_error(lambda: program(ember), lambda: program(torch))


def test_activation_names():
    x = ember.randn(3, requires_grad=True)
    tx = torch.randn(3, requires_grad=True)
    for name in ["gelu", "silu", "mish", "softplus", "elu", "leaky_relu", "hardtanh",
                 "logsigmoid", "selu", "celu", "hardsigmoid", "hardswish", "softsign",
                 "hardshrink", "softshrink", "tanhshrink"]:
        assert getattr(F(ember), name)(x).grad_fn.name() == \
            getattr(torch.nn.functional, name)(tx).grad_fn.name()
    assert F(ember).threshold(x, 0.1, 2.0).grad_fn.name() == \
        torch.nn.functional.threshold(tx, 0.1, 2.0).grad_fn.name()


@pytest.mark.parametrize("shape,dim", [((4, 6), -1), ((4, 6), 1), ((6, 3), 0), ((2, 4, 2), 1)])
def test_glu(shape, dim):
    check_op(lambda lib, x: F(lib).glu(x, dim), [arr(*shape)])
    check_op(lambda lib, x: F(lib).glu(x, dim), [arr(*shape, dtype=np.float32)], atol=1e-6)
    x = ember.ones(shape, requires_grad=True)
    assert F(ember).glu(x, dim).grad_fn.name() == "GluBackward0"


def test_activation_errors():
    for fn in (lambda lib: F(lib).glu(lib.ones(2, 3)), lambda lib: F(lib).glu(lib.ones(())),
               lambda lib: F(lib).glu(lib.ones(2, 4), 2),
               lambda lib: F(lib).softshrink(lib.ones(3), -0.5)):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))


_IN_PLACE = {
    "selu": lambda L, t: F(L).selu(t, inplace=True),
    "selu_": lambda L, t: F(L).selu_(t),
    "celu": lambda L, t: F(L).celu(t, 1.5, inplace=True),
    "celu_": lambda L, t: F(L).celu_(t, 0.5),
    "threshold": lambda L, t: F(L).threshold(t, 0.3, -1.0, inplace=True),
    "threshold_up": lambda L, t: F(L).threshold(t, 0.3, 5.0, inplace=True),
    "threshold_": lambda L, t: F(L).threshold_(t, 0.3, -1.0),
    "hardsigmoid": lambda L, t: F(L).hardsigmoid(t, inplace=True),
    "hardswish": lambda L, t: F(L).hardswish(t, inplace=True),
    "silu": lambda L, t: F(L).silu(t, inplace=True),
    "mish": lambda L, t: F(L).mish(t, inplace=True),
    "relu_": lambda L, t: F(L).relu_(t),
    "elu_": lambda L, t: F(L).elu_(t, 0.7),
    "leaky_relu_": lambda L, t: F(L).leaky_relu_(t, 0.1),
    "hardtanh_": lambda L, t: F(L).hardtanh_(t, -0.5, 0.5),
    "SELU": lambda L, t: L.nn.SELU(inplace=True)(t),
    "CELU": lambda L, t: L.nn.CELU(2.0, inplace=True)(t),
    "Threshold": lambda L, t: L.nn.Threshold(0.1, 3.0, inplace=True)(t),
    "Hardsigmoid": lambda L, t: L.nn.Hardsigmoid(inplace=True)(t),
    "Hardswish": lambda L, t: L.nn.Hardswish(inplace=True)(t),
    "SiLU": lambda L, t: L.nn.SiLU(inplace=True)(t),
    "Mish": lambda L, t: L.nn.Mish(inplace=True)(t),
}


@pytest.mark.parametrize("name", sorted(_IN_PLACE))
def test_activations_in_place(name):
    act = _IN_PLACE[name]
    a = arr(3, 4) * 3
    for lib in (ember, torch):
        t = lib.tensor(a)
        assert act(lib, t) is t
    assert_same(act(ember, ember.tensor(a)), act(torch, torch.tensor(a)))
    names = [act(lib, lib.tensor(a, requires_grad=True) * 1).grad_fn.name()
             for lib in (ember, torch)]
    assert names[0] == names[1]
    check_op(lambda lib, x: act(lib, x * 1), [a], double="hardsigmoid" not in name.lower())


@pytest.mark.parametrize("module,args", [
    ("SELU", ()), ("CELU", (1.3,)), ("Threshold", (0.2, -3.0)), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("Softsign", ()), ("Hardshrink", (0.7,)), ("Softshrink", ()),
    ("Tanhshrink", ()), ("GLU", (0,)),
])
def test_activation_modules(module, args):
    a = arr(4, 6) * 3
    e, t = getattr(ember.nn, module)(*args), getattr(torch.nn, module)(*args)
    assert repr(e) == repr(t)
    check_op(lambda lib, x: getattr(lib.nn, module)(*args)(x), [a],
             double=module != "Hardsigmoid")


# -- padding, utilities, interpolation, attention ---------------------------------------------

@pytest.mark.parametrize("pad,mode", [((1, 2), "constant"), ((1, 0, 2, 1), "constant"),
                                      ((-1, 2), "constant"), ((2, 1), "reflect"),
                                      ((1, 2, 2, 0), "reflect"), ((2, 3), "replicate"),
                                      ((1, 1, 2, 2), "replicate"), ((1, 2), "circular")])
def test_pad(pad, mode):
    shape = (2, 3, 4, 5) if mode == "constant" or len(pad) == 4 else (3, 4, 5)
    check_op(lambda lib, x: F(lib).pad(x, pad, mode=mode), [arr(*shape)])


def test_pad_value_and_errors():
    check_op(lambda lib, x: F(lib).pad(x, (1, 1), value=3.5), [arr(2, 3)])
    same_error(lambda: F(ember).pad(ember.zeros(2, 3), (1,)),
               lambda: torch.nn.functional.pad(torch.zeros(2, 3), (1,)))
    same_error(lambda: F(ember).pad(ember.zeros(2, 3, 4, 5), (1, 1), mode="reflect"),
               lambda: torch.nn.functional.pad(torch.zeros(2, 3, 4, 5), (1, 1), mode="reflect"))


def test_one_hot():
    t = torch.tensor([[0, 3], [1, 2]])
    assert_same(F(ember).one_hot(ember.tensor([[0, 3], [1, 2]])),
                torch.nn.functional.one_hot(t))
    assert_same(F(ember).one_hot(ember.tensor([1, 0]), 4),
                torch.nn.functional.one_hot(torch.tensor([1, 0]), 4))
    same_error(lambda: F(ember).one_hot(ember.tensor([3]), 2),
               lambda: torch.nn.functional.one_hot(torch.tensor([3]), 2))


def test_normalize_cosine():
    check_op(lambda lib, x: F(lib).normalize(x), [arr(3, 4)])
    check_op(lambda lib, x: F(lib).normalize(x, p=1.0, dim=0), [arr(3, 4)])
    check_op(lambda lib, a, b: F(lib).cosine_similarity(a, b), [arr(3, 4), arr(3, 4, seed=1)])
    check_op(lambda lib, a, b: F(lib).cosine_similarity(a, b, dim=-1),
             [arr(2, 3, 4), arr(3, 4, seed=1)])
    check_op(lambda lib, a, b: F(lib).pairwise_distance(a, b), [arr(3, 4), arr(3, 4, seed=1)])


@pytest.mark.parametrize("kw", [{"size": (5, 7)}, {"scale_factor": 2},
                                {"size": (3, 2), "mode": "bilinear"},
                                {"size": (6, 7), "mode": "bilinear", "align_corners": True},
                                {"scale_factor": 1.5, "mode": "bilinear"}])
def test_interpolate(kw):
    check_op(lambda lib, x: F(lib).interpolate(x, **kw), [arr(2, 3, 4, 5)])


def test_interpolate_1d():
    check_op(lambda lib, x: F(lib).interpolate(x, size=7), [arr(2, 3, 4)])
    check_op(lambda lib, x: F(lib).interpolate(x, size=7, mode="linear"), [arr(2, 3, 4)])


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa(causal):
    check_op(lambda lib, q, k, v: F(lib).scaled_dot_product_attention(q, k, v,
                                                                      is_causal=causal),
             [arr(2, 3, 4, 5), arr(2, 3, 4, 5, seed=1), arr(2, 3, 4, 5, seed=2)], double=False)
    mask = np.random.default_rng(0).random((4, 4)) < 0.7
    mask[:, 0] = True
    check_op(lambda lib, q, k, v, m: F(lib).scaled_dot_product_attention(q, k, v, m),
             [arr(2, 4, 3), arr(2, 4, 3, seed=1), arr(2, 4, 3, seed=2), mask],
             grad=[True, True, True, False], double=False)


# -- losses --------------------------------------------------------------------------------

REDS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDS)
@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
                                     ("smooth_l1_loss", {"beta": 0.5}), ("huber_loss", {}),
                                     ("huber_loss", {"delta": 0.3})])
def test_regression_losses(name, kw, reduction):
    check_op(lambda lib, x, t: getattr(F(lib), name)(x, t, reduction=reduction, **kw),
             [arr(4, 5), arr(4, 5, seed=1)])


def test_loss_names():
    x, t = ember.randn(3, requires_grad=True), ember.randn(3)
    tx, tt = torch.randn(3, requires_grad=True), torch.randn(3)
    for name in ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"]:
        assert getattr(F(ember), name)(x, t).grad_fn.name() == \
            getattr(torch.nn.functional, name)(tx, tt).grad_fn.name()
    assert F(ember).cross_entropy(ember.randn(2, 3, requires_grad=True),
                                  ember.tensor([0, 2])).grad_fn.name() == "NllLossBackward0"


@pytest.mark.parametrize("reduction", REDS)
@pytest.mark.parametrize("kw", [{}, {"ignore_index": 1}, {"label_smoothing": 0.2},
                                {"label_smoothing": 0.1, "ignore_index": 0}])
def test_cross_entropy_indices(kw, reduction):
    tgt = np.array([0, 1, 3, 1, 2])
    w = arr(4, seed=3, low=0.5, high=2.0)
    check_op(lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=reduction, **kw),
             [arr(5, 4), tgt], grad=[True, False])
    check_op(lambda lib, x, t, w: F(lib).cross_entropy(x, t, w, reduction=reduction, **kw),
             [arr(5, 4), tgt, w], grad=[True, False, False])


@pytest.mark.parametrize("reduction", REDS)
def test_cross_entropy_nd_and_probs(reduction):
    tgt = np.random.default_rng(0).integers(0, 3, (2, 4, 5))
    check_op(lambda lib, x, t: F(lib).cross_entropy(x, t, reduction=reduction),
             [arr(2, 3, 4, 5), tgt], grad=[True, False])
    probs = np.random.default_rng(1).random((4, 3))
    probs /= probs.sum(1, keepdims=True)
    for ls in (0.0, 0.25):
        check_op(lambda lib, x, t, ls=ls: F(lib).cross_entropy(
            x, t, reduction=reduction, label_smoothing=ls),
                 [arr(4, 3), probs])
    check_op(lambda lib, x, t, w: F(lib).cross_entropy(x, t, w, reduction=reduction),
             [arr(4, 3), probs, arr(3, seed=4, low=0.1)], grad=[True, True, False])


@pytest.mark.parametrize("reduction", REDS)
def test_nll_loss(reduction):
    check_op(lambda lib, x, t: F(lib).nll_loss(x, t, reduction=reduction),
             [arr(5, 4), np.array([0, 1, 3, 1, 2])], grad=[True, False])
    check_op(lambda lib, x, t: F(lib).nll_loss(x, t, reduction=reduction),
             [arr(4), np.array(2)], grad=[True, False])
    check_op(lambda lib, x, t: F(lib).nll_loss(x, t, reduction=reduction),
             [arr(2, 3, 4), np.array([[0, 1, 2, 1], [2, 2, 0, 1]])], grad=[True, False])


def test_nll_errors():
    same_error(lambda: F(ember).nll_loss(ember.randn(2, 3), ember.tensor([0, 3])),
               lambda: torch.nn.functional.nll_loss(torch.randn(2, 3), torch.tensor([0, 3])))
    same_error(lambda: F(ember).nll_loss(ember.randn(2, 3), ember.tensor([0, 1, 1])),
               lambda: torch.nn.functional.nll_loss(torch.randn(2, 3), torch.tensor([0, 1, 1])))
    same_error(lambda: F(ember).cross_entropy(ember.randn(2, 3), ember.tensor([0, 1]),
                                              reduction="avg"),
               lambda: torch.nn.functional.cross_entropy(torch.randn(2, 3),
                                                         torch.tensor([0, 1]),
                                                         reduction="avg"))


@pytest.mark.parametrize("reduction", REDS)
def test_bce(reduction):
    x = make_array((4, 3), np.float64, 0, 0.05, 0.95)
    t = make_array((4, 3), np.float64, 1, 0.0, 1.0)
    check_op(lambda lib, x, t: F(lib).binary_cross_entropy(x, t, reduction=reduction), [x, t])
    check_op(lambda lib, x, t, w: F(lib).binary_cross_entropy(x, t, w, reduction=reduction),
             [x, t, arr(3, seed=2, low=0.1)], grad=[True, True, False], double=False)
    ex = ember.tensor([0.0, 1.0], requires_grad=True)
    tx = torch.tensor([0.0, 1.0], requires_grad=True)
    assert_same(F(ember).binary_cross_entropy(ex, ember.tensor([1.0, 0.0])),
                torch.nn.functional.binary_cross_entropy(tx, torch.tensor([1.0, 0.0])))
    same_error(lambda: F(ember).binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0])),
               lambda: torch.nn.functional.binary_cross_entropy(torch.tensor([1.5]),
                                                                torch.tensor([1.0])))


@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    t = make_array((3, 4), np.float64, 1, 0.0, 1.0)
    t[0, 0] = 0.0
    if log_target:
        t = np.log(t + 0.1)
    check_op(lambda lib, x, t: F(lib).kl_div(x, t, reduction=reduction, log_target=log_target),
             [arr(3, 4), t], grad=[True, False])


@pytest.mark.parametrize("reduction", REDS)
def test_pair_losses(reduction):
    tgt = np.array([1.0, -1.0, 1.0, -1.0])
    check_op(lambda lib, a, b, t: F(lib).cosine_embedding_loss(a, b, t, 0.1,
                                                               reduction=reduction),
             [arr(4, 3), arr(4, 3, seed=1), tgt], grad=[True, True, False])
    check_op(lambda lib, a, b, t: F(lib).margin_ranking_loss(a, b, t, 0.2, reduction=reduction),
             [arr(4), arr(4, seed=1), tgt], grad=[True, True, False])


@pytest.mark.parametrize("xshape,wshape", [((2, 3, 4, 5), (3,)), ((2, 3, 4, 5), (1,)),
                                           ((4, 3), (3,)), ((5,), (1,)), ((), (1,)),
                                           ((2, 3, 0), (3,))])
def test_prelu(xshape, wshape):
    x = arr(*xshape)
    w = np.linspace(-0.5, 0.75, int(np.prod(wshape))).reshape(wshape)
    check_op(lambda lib, x, w: F(lib).prelu(x, w), [x, w])
    check_op(lambda lib, x, w: F(lib).prelu(x, w), [x.astype(np.float32),
                                                   w.astype(np.float32)], atol=1e-6)
    names = []
    for lib in (ember, torch):
        y = F(lib).prelu(lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True))
        names.append([y.grad_fn.name()] + [n.name() for n, _ in y.grad_fn.next_functions])
    assert names[0] == names[1]


def test_prelu_errors_and_module():
    for xs, ws in [((2, 4, 3), (3,)), ((3,), (3,)), ((2, 3), (2, 3))]:
        same_error(lambda xs=xs, ws=ws: F(ember).prelu(ember.ones(xs), ember.ones(ws)),
                   lambda xs=xs, ws=ws: F(torch).prelu(torch.ones(xs), torch.ones(ws)))
    same_error(lambda: F(ember).prelu(ember.ones(2, 3, dtype=ember.float64), ember.ones(3)),
               lambda: F(torch).prelu(torch.ones(2, 3, dtype=torch.float64), torch.ones(3)))
    for args in [(), (3,), (3, 0.1)]:
        e, t = ember.nn.PReLU(*args), torch.nn.PReLU(*args)
        assert repr(e) == repr(t)
        assert_same(e.weight, t.weight)
        a = arr(2, e.num_parameters, 4, dtype=np.float32)
        check_op(lambda lib, x, args=args: lib.nn.PReLU(*args)(x), [a], atol=1e-6)


@pytest.mark.parametrize("fn,shape", [("dropout1d", (2, 3, 5)), ("dropout1d", (3, 5)),
                                      ("dropout2d", (2, 3, 4, 5)), ("dropout2d", (4, 3, 5)),
                                      ("dropout3d", (2, 3, 2, 2, 2)), ("dropout3d", (3, 2, 2, 2))])
@pytest.mark.parametrize("p", [0.0, 0.3, 1.0])
def test_feature_dropout_same_channels_as_torch(fn, shape, p):
    # The same seed drops the same channels: one Bernoulli draw per (sample, channel).
    a = np.random.default_rng(1).random(shape).astype(np.float32) + 0.5
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(7)
        x = lib.tensor(a, requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            y = getattr(F(lib), fn)(x, p)
        (y * y).sum().backward()
        outs.append((y, x.grad, y.grad_fn.name() if p else None,
                     [str(w.message) for w in caught]))
        lib.manual_seed(7)
        t = lib.tensor(a)
        assert getattr(F(lib), fn)(t, p, inplace=True) is t
        outs[-1] += (t,)
    (ey, eg, en, ew, et), (ty, tg, tn, tw, tt) = outs
    assert_same(ey, ty)
    assert_same(eg, tg)
    assert_same(et, tt)
    assert en == tn and ew == tw
    for lib in (ember, torch):
        assert getattr(F(lib), fn)(lib.tensor(a), p, training=False).shape == shape


def test_feature_dropout_errors_and_modules():
    same_error(lambda: F(ember).dropout1d(ember.ones(2, 3, 4, 5)),
               lambda: F(torch).dropout1d(torch.ones(2, 3, 4, 5)))
    same_error(lambda: F(ember).dropout2d(ember.ones(2, 3), 1.5),
               lambda: F(torch).dropout2d(torch.ones(2, 3), 1.5))
    for name in ("Dropout1d", "Dropout2d", "Dropout3d"):
        e, t = getattr(ember.nn, name)(0.2), getattr(torch.nn, name)(0.2)
        assert repr(e) == repr(t)
        shape = {"Dropout1d": (2, 3, 4), "Dropout2d": (2, 3, 4, 4),
                 "Dropout3d": (2, 3, 2, 2, 2)}[name]
        ember.manual_seed(3)
        torch.manual_seed(3)
        assert_same(e(ember.ones(shape)), t(torch.ones(shape)))
        e.eval()
        t.eval()
        assert_same(e(ember.ones(shape)), t(torch.ones(shape)))


_NEW_LOSSES = {
    "hinge": lambda L, x, y: F(L).hinge_embedding_loss(x, L.sign(y)),
    "hinge_sum": lambda L, x, y: F(L).hinge_embedding_loss(x, L.sign(y), 0.5,
                                                           reduction="sum"),
    "poisson": lambda L, x, y: F(L).poisson_nll_loss(x, y.abs() * 3),
    "poisson_full": lambda L, x, y: F(L).poisson_nll_loss(x.abs() + 0.1, y.abs() * 3,
                                                          log_input=False, full=True,
                                                          reduction="none"),
    "gaussian": lambda L, x, y: F(L).gaussian_nll_loss(x, y, y.abs() + 0.5),
    "gaussian_full": lambda L, x, y: F(L).gaussian_nll_loss(x, y, (y.abs() + 0.5)[:, 0],
                                                            full=True, reduction="sum"),
    "multilabel": lambda L, x, y: F(L).multilabel_soft_margin_loss(x, (y > 0).to(x.dtype)),
    "multilabel_w": lambda L, x, y: F(L).multilabel_soft_margin_loss(
        x, (y > 0).to(x.dtype), weight=y.abs(), reduction="none"),
    "soft_margin": lambda L, x, y: F(L).soft_margin_loss(x, L.sign(y)),
    "soft_margin_none": lambda L, x, y: F(L).soft_margin_loss(x, L.sign(y), reduction="none"),
    "triplet": lambda L, x, y: F(L).triplet_margin_loss(x, y, y * 2 + 0.5),
    "triplet_swap": lambda L, x, y: F(L).triplet_margin_loss(x, y, -y, margin=0.3, p=1,
                                                             swap=True, reduction="none"),
}


@pytest.mark.parametrize("name", sorted(_NEW_LOSSES))
def test_more_losses(name):
    loss = _NEW_LOSSES[name]
    x, y = arr(4, 3), arr(4, 3, seed=1)
    check_op(loss, [x, y], grad=[True, False])
    check_op(loss, [x.astype(np.float32), y.astype(np.float32)], grad=[True, False],
             rtol=1e-5, atol=1e-6)
    names = [loss(lib, lib.tensor(x, requires_grad=True), lib.tensor(y)).grad_fn.name()
             for lib in (ember, torch)]
    assert names[0] == names[1]


def test_more_loss_errors_and_modules():
    for fn in (lambda L: F(L).gaussian_nll_loss(L.ones(3), L.ones(3), -1.0),
               lambda L: F(L).gaussian_nll_loss(L.ones(3, 2), L.ones(3, 2), L.ones(2, 3)),
               lambda L: F(L).poisson_nll_loss(L.ones(3), L.ones(3), reduction="avg"),
               lambda L: F(L).triplet_margin_loss(L.ones(3, 2), L.ones(3, 2), L.ones(2))):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))
    x, y = arr(4, 3), arr(4, 3, seed=1)
    for name, args in [("HingeEmbeddingLoss", (lambda L: L.sign(L.tensor(y)),)),
                       ("SoftMarginLoss", (lambda L: L.sign(L.tensor(y)),)),
                       ("MultiLabelSoftMarginLoss", (lambda L: (L.tensor(y) > 0).double(),)),
                       ("PoissonNLLLoss", (lambda L: L.tensor(y).abs(),)),
                       ("GaussianNLLLoss", (lambda L: L.tensor(y), lambda L: L.ones(4, 3))),
                       ("TripletMarginLoss", (lambda L: L.tensor(y), lambda L: L.tensor(-y)))]:
        e, t = getattr(ember.nn, name)(), getattr(torch.nn, name)()
        assert repr(e) == repr(t)
        assert_same(e(ember.tensor(x), *(a(ember) for a in args)),
                    t(torch.tensor(x), *(a(torch) for a in args)))


@pytest.mark.parametrize("shape,r", [((1, 8, 2, 3), 2), ((2, 9, 1, 2), 3), ((4, 2, 2), 1),
                                     ((2, 1, 4, 2, 3), 2)])
def test_pixel_shuffle_and_unshuffle(shape, r):
    check_op(lambda lib, x: F(lib).pixel_shuffle(x, r), [arr(*shape)])
    up = shape[:-3] + (shape[-3] // (r * r), shape[-2] * r, shape[-1] * r)
    check_op(lambda lib, x: F(lib).pixel_unshuffle(x, r), [arr(*up)])
    x = ember.tensor(arr(*shape), requires_grad=True)
    assert F(ember).pixel_shuffle(x, r).grad_fn.name() == "PixelShuffleBackward0"
    back = F(ember).pixel_unshuffle(F(ember).pixel_shuffle(x, r), r)
    np.testing.assert_array_equal(back.detach().numpy(), x.detach().numpy())
    e, t = ember.nn.PixelShuffle(r), torch.nn.PixelShuffle(r)
    assert repr(e) == repr(t)
    assert repr(ember.nn.PixelUnshuffle(r)) == repr(torch.nn.PixelUnshuffle(r))


def test_pixel_shuffle_errors():
    for fn in (lambda L: F(L).pixel_shuffle(L.ones(2, 3), 2),
               lambda L: F(L).pixel_shuffle(L.ones(1, 5, 2, 2), 2),
               lambda L: F(L).pixel_shuffle(L.ones(1, 4, 2, 2), 0),
               lambda L: F(L).pixel_unshuffle(L.ones(1, 1, 5, 4), 2),
               lambda L: F(L).pixel_unshuffle(L.ones(1, 1, 4, 5), 2),
               lambda L: F(L).pixel_unshuffle(L.ones(4, 4), 2),
               lambda L: F(L).pixel_unshuffle(L.ones(1, 1, 4, 4), -1)):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))


@pytest.mark.parametrize("shape,size", [((2, 3, 5, 7), (2, 3)), ((3, 6, 6), 4),
                                        ((1, 2, 5, 4), (None, 1)), ((2, 1, 3, 3), 5)])
def test_adaptive_max_pool2d(shape, size):
    check_op(lambda lib, x: F(lib).adaptive_max_pool2d(x, size), [arr(*shape)])
    a = arr(*shape)
    e = F(ember).adaptive_max_pool2d(ember.tensor(a, requires_grad=True), size, True)
    t = F(torch).adaptive_max_pool2d(torch.tensor(a, requires_grad=True), size, True)
    assert_same(e[1], t[1])
    assert e[0].grad_fn.name() == t[0].grad_fn.name()


def test_adaptive_max_pool_ties_nan_1d_modules_and_errors():
    nan = float("nan")
    for rows in ([[1.0, nan, 3.0], [nan, 2.0, 3.0]], [[1.0, 3.0, 3.0], [0.0, 2.0, 3.0]]):
        e = F(ember).adaptive_max_pool2d(ember.tensor([[rows]]), 1, return_indices=True)
        t = F(torch).adaptive_max_pool2d(torch.tensor([[rows]]), 1, return_indices=True)
        assert_same(e[1], t[1])
        assert_same(e[0], t[0])
    check_op(lambda lib, x: F(lib).adaptive_max_pool1d(x, 3), [arr(2, 3, 7)])
    e = F(ember).adaptive_max_pool1d(ember.tensor(arr(2, 7)), 3, return_indices=True)
    t = F(torch).adaptive_max_pool1d(torch.tensor(arr(2, 7)), 3, return_indices=True)
    assert_same(e[0], t[0])
    assert_same(e[1], t[1])
    for size in (3, (2, None)):
        cls = "AdaptiveMaxPool1d" if size == 3 else "AdaptiveMaxPool2d"
        assert repr(getattr(ember.nn, cls)(size)) == repr(getattr(torch.nn, cls)(size))
    for fn in (lambda L: F(L).adaptive_max_pool2d(L.ones(2, 3), 2),
               lambda L: F(L).adaptive_max_pool1d(L.ones(2, 3, 4, 5), 2)):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))


@pytest.mark.parametrize("training", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rrelu_draws_as_torch(training, dtype):
    a = arr(4, 5, dtype=dtype)
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(3)
        x = lib.tensor(a, requires_grad=True)
        y = F(lib).rrelu(x, 0.1, 0.4, training)
        (y * y).sum().backward()
        outs.append((y, x.grad, y.grad_fn.name()))
        lib.manual_seed(3)
        t = lib.tensor(a)
        assert F(lib).rrelu_(t, 0.1, 0.4, training) is t
        outs[-1] += (t,)
    (ey, eg, en, et), (ty, tg, tn, tt) = outs
    assert_same(ey, ty)
    assert_same(eg, tg)
    assert_same(et, tt)
    assert en == tn
    if not training:
        check_op(lambda lib, x: F(lib).rrelu(x, 0.1, 0.4), [a.astype(np.float64)])
    same_error(lambda: F(ember).rrelu(ember.ones(2), 0.5, 0.2),
               lambda: F(torch).rrelu(torch.ones(2), 0.5, 0.2))
    for args in [(), (0.1, 0.3, True)]:
        assert repr(ember.nn.RReLU(*args)) == repr(torch.nn.RReLU(*args))


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("layout", ["offsets", "last_offset", "2d", "padding"])
def test_embedding_bag(mode, layout):
    w0 = np.random.default_rng(0).standard_normal((10, 3)).astype(np.float32)
    idx = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0])
    kw: dict = {"mode": mode}
    if layout == "2d":
        idx = idx[:8].reshape(2, 4)
    elif layout == "last_offset":
        kw.update(offsets=np.array([0, 4, 4, 7, 9]), include_last_offset=True)
    else:
        kw["offsets"] = np.array([0, 4, 4, 7])
    if layout == "padding":
        kw["padding_idx"] = 4
    outs = []
    for lib in (ember, torch):
        w = lib.tensor(w0, requires_grad=True)
        args = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        psw = None
        if mode == "sum":
            psw = lib.tensor(np.linspace(0.5, 1.5, idx.size).astype(np.float32)
                             .reshape(idx.shape), requires_grad=True)
        y = F(lib).embedding_bag(lib.tensor(idx), w, per_sample_weights=psw, **args)
        g = lib.tensor(np.arange(y.numel(), dtype=np.float32).reshape(tuple(y.shape)))
        (y * g).sum().backward()
        outs.append((y, w.grad, None if psw is None else psw.grad, y.grad_fn.name()))
    (ey, ew, ep, en), (ty, tw, tp, tn) = outs
    assert_same(ey, ty, rtol=1e-6, atol=1e-6)
    assert_same(ew, tw, rtol=1e-6, atol=1e-6)
    assert_same(ep, tp, rtol=1e-6, atol=1e-6)
    assert en == tn


def test_embedding_bag_errors_and_module():
    idx, off = np.array([1, 2, 3, 4]), np.array([0, 2])
    for fn in (lambda L: F(L).embedding_bag(L.tensor(idx), L.ones(5, 2), L.tensor(off),
                                            mode="mean", per_sample_weights=L.ones(4)),
               lambda L: F(L).embedding_bag(L.tensor(idx).view(2, 2), L.ones(5, 2),
                                            L.tensor(off)),
               lambda L: F(L).embedding_bag(L.tensor(idx), L.ones(5, 2), mode="sum"),
               lambda L: F(L).embedding_bag(L.tensor(idx), L.ones(5, 2), L.tensor(off),
                                            mode="bad")):
        same_error(lambda fn=fn: fn(ember), lambda fn=fn: fn(torch))
    for args, kw in [((10, 3), {}), ((10, 3), {"mode": "max", "padding_idx": 0}),
                     ((6, 2), {"mode": "sum", "max_norm": 1.0})]:
        ember.manual_seed(5)
        torch.manual_seed(5)
        e, t = ember.nn.EmbeddingBag(*args, **kw), torch.nn.EmbeddingBag(*args, **kw)
        assert repr(e) == repr(t)
        np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())


@pytest.mark.parametrize("kw", [{}, {"tau": 0.5, "dim": 0}, {"hard": True}])
def test_gumbel_softmax_same_samples_as_torch(kw):
    a = arr(3, 4, dtype=np.float32)
    outs = []
    for lib in (ember, torch):
        lib.manual_seed(11)
        x = lib.tensor(a, requires_grad=True)
        y = F(lib).gumbel_softmax(x, **kw)
        (y * lib.tensor(np.arange(12, dtype=np.float32).reshape(3, 4))).sum().backward()
        outs.append((y, x.grad, y.grad_fn.name()))
    assert_same(outs[0][0], outs[1][0], rtol=1e-5, atol=1e-6)
    assert_same(outs[0][1], outs[1][1], rtol=1e-5, atol=1e-6)
    assert outs[0][2] == outs[1][2]
