"""ember.nn.functional: the functional forms of layers and losses, multi-head attention
included (its helpers are shared with nn.MultiheadAttention and the transformer layers)."""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _random, _transform_hooks
from .._arg_parser import check_call
from .._dtypes import get_default_dtype, type_meta_name
from .._tensor import Tensor
from .._transform_hooks import ACTIVE as _TRANSFORMS
from .._transform_hooks import transforms_active as _transforms_active
from ..autograd.grad_mode import is_grad_enabled, no_grad
from ..ops import (
    arithmetic,
    creation,
    elementary,
    nn_activation,
    nn_conv,
    nn_kernels,
    nn_loss,
    nn_norm,
    nn_pool,
    nn_softmax,
)
from ..ops._core import (
    _reach,
    _truth,
    check_tensor,
    not_implemented,
    wrap,
)
from ..ops.grids_and_distances import cosine_similarity, pairwise_distance
from ..ops.joining import cat
from ..ops.matrix import addmm_checked, baddbmm
from ..ops.nn_activation import (
    celu,
    elu,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    logsigmoid,
    mish,
    prelu,
    rrelu,
    selu,
    silu,
    softplus,
    softshrink,
    threshold,
)
from ..ops.nn_embedding import embedding, embedding_bag
from ..ops.nn_loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    huber_loss,
    l1_loss,
    legacy_reduction,
    mse_loss,
    nll_loss,
    reduction_enum,
    smooth_l1_loss,
    soft_margin_loss,
)
from ..ops.nn_norm import layer_norm, rms_norm
from ..ops.nn_padding import _constant_pad, _index_pad, _upsample
from ..ops.nn_pool import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d
from ..ops.nn_shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle
from ..ops.products import bmm, matmul
from ..ops.reduction import any as _any
from ..ops.reduction import vector_norm

__all__ = [
    "multi_head_attention_forward", "binary_cross_entropy_with_logits",
    "linear", "bilinear", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d",
    "max_pool1d", "max_pool2d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "batch_norm",
    "layer_norm", "group_norm", "dropout", "embedding", "gelu", "silu", "mish", "softplus",
    "elu", "leaky_relu", "hardtanh", "logsigmoid", "relu", "relu6", "softmax", "log_softmax",
    "softmin", "pad", "one_hot", "normalize", "cosine_similarity", "pairwise_distance",
    "unfold", "fold", "interpolate", "scaled_dot_product_attention", "mse_loss", "l1_loss",
    "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "kl_div", "cosine_embedding_loss", "margin_ranking_loss", "tanh", "sigmoid", "selu",
    "celu", "threshold", "hardsigmoid", "hardswish", "softsign", "hardshrink", "softshrink",
    "tanhshrink", "glu", "relu_", "elu_", "leaky_relu_", "hardtanh_", "threshold_", "selu_",
    "celu_", "prelu", "dropout1d", "dropout2d", "dropout3d", "hinge_embedding_loss",
    "poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss", "soft_margin_loss",
    "triplet_margin_loss", "pixel_shuffle", "pixel_unshuffle", "instance_norm",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool1d_with_indices",
    "adaptive_max_pool2d_with_indices", "rrelu", "rrelu_", "embedding_bag", "gumbel_softmax",
    "rms_norm", "channel_shuffle",
]

def sigmoid(input: Tensor) -> Tensor:
    """Applies the element-wise function 1 / (1 + exp(-x))."""
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Applies the element-wise hyperbolic tangent."""
    return input.tanh()


def softmax(input: Tensor, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """Applies a softmax function: rescales the slices along dim so their elements lie in
    [0, 1] and sum to 1."""
    _reach("dim" if dim is None else "softmax", input)
    return nn_softmax.softmax(input, dim, _stacklevel, dtype)


def log_softmax(input: Tensor, dim: Any = None, _stacklevel: int = 3,
                dtype: Any = None) -> Tensor:
    """Applies a softmax followed by a logarithm."""
    _reach("dim" if dim is None else "log_softmax", input)
    return nn_softmax.log_softmax(input, dim, _stacklevel, dtype)


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """Applies the rectified linear unit function element-wise."""
    return input.relu_() if inplace else arithmetic.relu(input)


def softsign(input: Tensor) -> Tensor:
    """Applies x / (1 + |x|) element-wise."""
    return input / (input.abs() + 1)


def tanhshrink(input: Tensor) -> Tensor:
    """Applies x - tanh(x) element-wise."""
    return input - input.tanh()


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    """In-place version of rrelu()."""
    return rrelu(input, lower, upper, training, True)


def relu_(input: Tensor) -> Tensor:
    """In-place version of relu()."""
    return relu(input, True)


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place version of elu()."""
    return elu(input, alpha, True)


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    """In-place version of leaky_relu()."""
    return leaky_relu(input, negative_slope, True)


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """In-place version of hardtanh()."""
    return hardtanh(input, min_val, max_val, True)


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    """In-place version of threshold()."""
    return nn_activation.threshold(input, threshold, value, True)


def selu_(input: Tensor) -> Tensor:
    """In-place version of selu()."""
    return selu(input, True)


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    """In-place version of celu()."""
    return celu(input, alpha, True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """Applies min(max(0, x), 6) element-wise."""
    return hardtanh(input, 0.0, 6.0, inplace)


def softmin(input: Tensor, dim: Any = None, _stacklevel: int = 3, dtype: Any = None) -> Tensor:
    """Applies softmax to -input."""
    if dim is None:
        _reach("dim", input)
    negated = -input
    _reach("softmax", negated)
    if dim is not None:
        # torch calls the method (-input).softmax(dim), behind the method's parser.
        check_call("softmax", (dim,), {} if dtype is None else {"dtype": dtype}, "METHODS")
    return nn_softmax.softmax(negated, dim, dtype=dtype)


# -- linear --------------------------------------------------------------------------------

def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """Applies a linear transformation to the incoming data: y = x A^T + b."""
    x = check_tensor(input, "input", 0, "linear")._data
    w = check_tensor(weight, "weight", 1, "linear")._data
    if bias is not None:
        check_tensor(bias, "bias", 2, "linear")
    if not x.ndim or not w.ndim:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are "
                           f"{x.ndim}D and {w.ndim}D")
    if w.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {w.ndim}D")
    # torch's paths: addmm (on the input flattened to rows) for a 2-d input or a 1-d bias,
    # else matmul, then the bias added; each checks dtypes first, then shapes.
    fused = bias is not None and (x.ndim == 2 or bias._data.ndim == 1)
    if fused:
        if bias._data.dtype != w.dtype:
            raise RuntimeError(f"self and mat2 must have the same dtype, but got "
                               f"{bias.dtype._legacy} and {weight.dtype._legacy}")
        if x.dtype != w.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{input.dtype._legacy} and {weight.dtype._legacy}")
        if w.ndim != 2:
            raise RuntimeError(f"mat2 must be a matrix, got {w.ndim}-D tensor")
    wt = weight.t()
    if not fused:
        # torch adds the bias in place into the product
        out = matmul(input, wt)
        if x.dtype == np.bool_ and x.dtype == w.dtype:
            raise not_implemented("addmm_impl_cpu_" if w.ndim == 2 else
                                  "dot" if x.ndim == 1 else "addmv_impl_cpu", input.dtype)
        return out if bias is None else out.add_(bias)
    if x.shape[-1:] != w.shape[-1:]:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({_numel(x.shape[:-1])}x{x.shape[-1]}"
            f" and {w.shape[1]}x{w.shape[0]})")
    if bias._data.shape != w.shape[:1]:
        # A bias that does not broadcast to the product's rows gets torch's expand error.
        bias.detach().expand(_numel(x.shape[:-1]) if x.ndim > 1 else 1, w.shape[0])
    if x.dtype == np.bool_:
        raise not_implemented("addmm_impl_cpu_", input.dtype)
    if _TRANSFORMS[0] and _transforms_active():
        # vmap and forward AD see the public ops only (addmm_checked reads arrays).
        return matmul(input, wt) + bias
    if x.ndim == 2:
        return addmm_checked(bias, input, wt)
    if x.flags.c_contiguous:
        flat = input.reshape(_numel(x.shape[:-1]), x.shape[-1])
        return addmm_checked(bias, flat, wt).view(*x.shape[:-1], w.shape[0])
    return matmul(input, wt) + bias


def _numel(shape: tuple) -> int:
    n = 1
    for v in shape:
        n *= v
    return n


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor,
             bias: Tensor | None = None) -> Tensor:
    """Applies a bilinear transformation: y = x1^T A x2 + b."""
    ts = (input1, input2, weight) + (() if bias is None else (bias,))
    if any(t.dtype != input1.dtype for t in ts):
        names = ("input1", "input2", "weight", "bias")
        raise RuntimeError("All tensors must have the same dtype, got " + ", ".join(
            f"{n}: {type_meta_name(t._data.dtype)}" for n, t in zip(names, ts)))
    d1, d2 = input1.dim(), input2.dim()
    if d1 != d2:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {d1} and {d2}")
    for i in range(d1 - 1):
        if input1.shape[i] != input2.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got "
                               f"{input1.shape[i]} and {input2.shape[i]}")
    for k, x in ((1, input1), (2, input2)):
        expected = weight.size(k)  # torch takes the weight's size first
        if x.size(-1) != expected:
            raise RuntimeError(f"bilinear(): input{k} size does not match weight size: got "
                               f"{x.size(-1)} but expected {expected}")
    if bias is not None and bias.size(0) != weight.size(0):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{bias.size(0)} but expected {weight.size(0)}")
    if weight.dim() != 3:
        raise RuntimeError("number of dimensions must match")
    if input1._data.dtype == np.bool_:
        raise not_implemented("bmm", input1.dtype)
    # y[n, o] = sum_ij x1[n, i] A[o, i, j] x2[n, j]
    lead = input1._data.shape[:-1]
    n = _numel(lead)
    o, i, j = weight._data.shape
    x1 = input1.reshape(n, i)
    x2 = input2.reshape(n, j)
    t = matmul(x1, weight.permute(1, 0, 2).reshape(i, o * j)).reshape(n, o, j)
    y = (t * x2.unsqueeze(1)).sum(-1).reshape(lead + (o,))
    return y if bias is None else y + bias


# -- convolution ---------------------------------------------------------------------------

def conv1d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """Applies a 1D convolution over an input signal composed of several input planes."""
    return nn_conv.convolution(input, weight, bias, stride, padding, dilation, False, 0,
                              groups, 1)


def conv2d(input: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1,
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """Applies a 2D convolution over an input image composed of several input planes."""
    return nn_conv.convolution(input, weight, bias, stride, padding, dilation, False, 0,
                              groups, 2)


def conv_transpose1d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Applies a 1D transposed convolution operator over an input signal."""
    return nn_conv.convolution(input, weight, bias, stride, padding, dilation, True,
                              output_padding, groups, 1)


def conv_transpose2d(input: Tensor, weight: Tensor, bias: Tensor | None = None,
                     stride: Any = 1, padding: Any = 0, output_padding: Any = 0,
                     groups: int = 1, dilation: Any = 1) -> Tensor:
    """Applies a 2D transposed convolution operator over an input image."""
    return nn_conv.convolution(input, weight, bias, stride, padding, dilation, True,
                              output_padding, groups, 2)


# -- pooling ------------------------------------------------------------------------------

def max_pool2d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple:
    """2-D max pooling returning the maxima and their indices."""
    return nn_pool.max_pool2d_with_indices(input, kernel_size, stride, padding, dilation,
                                          ceil_mode)


def max_pool2d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False):
    """Applies a 2D max pooling over an input signal composed of several input planes."""
    out, idx = nn_pool.max_pool2d_with_indices(input, kernel_size, stride, padding, dilation,
                                              ceil_mode, indices=bool(return_indices))
    return (out, idx) if return_indices else out


def _one_each(name: str, **params: Any) -> list:
    # torch's check1d of each parameter of a 1-D pooling (an int counts as one); an empty
    # stride means the kernel size.
    out = []
    for arg, v in params.items():
        vals = list(v) if isinstance(v, (list, tuple)) else [v]
        # torch's parser reads a one-element tensor as its int.
        vals = [int(x) if isinstance(x, Tensor) else x for x in vals]
        if arg == "stride" and not vals:
            vals = out[:1]
        if len(vals) != 1:
            raise RuntimeError(f"{name}() argument '{arg}' should contain one int (got "
                               f"{len(vals)})")
        out.append(vals[0])
    return out


def _pool1d_rank(input: Tensor, name: str) -> None:
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for {name})")


def max_pool1d_with_indices(input: Tensor, kernel_size: Any, stride: Any = None,
                            padding: Any = 0, dilation: Any = 1, ceil_mode: bool = False,
                            return_indices: bool = True) -> tuple:
    """1-D max pooling returning the maxima and their indices."""
    _pool1d_rank(input, "max_pool1d")
    k, s, p, d = _one_each("max_pool1d", kernel_size=kernel_size,
                           stride=kernel_size if stride is None else stride, padding=padding,
                           dilation=dilation)
    out, idx = nn_pool.max_pool2d_with_indices(input.unsqueeze(-2), (1, k), (1, s), (0, p),
                                              (1, d), ceil_mode)
    return out.squeeze(-2), idx.squeeze(-2)


def _max_pool1d_checks(input: Tensor, kernel_size: Any, stride: Any, padding: Any,
                       dilation: Any, ceil_mode: bool) -> None:
    # torch's max_pool1d (without indices) and its check_max_pool1d, in their order.
    sh = input._data.shape
    if not (len(sh) == 2 and sh[0] and sh[1] or len(sh) == 3 and sh[1] and sh[2]):
        raise RuntimeError("max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 "
                           f"dim batch size for input, but got:{list(sh)}")

    def one(v: Any) -> list:
        # torch's parser reads a one-element tensor as its int.
        vals = list(v) if isinstance(v, (list, tuple)) else [v]
        return [int(x) if isinstance(x, Tensor) else x for x in vals]

    k, st, p, d = one(kernel_size), [] if stride is None else one(stride), one(padding), \
        one(dilation)
    for vals, what in ((k, "kernel_size must be an int, list of ints or tuple of ints"),
                       (st, "stride must be None, an int, list of ints, or tuple of ints"),
                       (p, "padding must be an int, list of ints, or tuple of ints"),
                       (d, "dilation must be an int, list of ints or tuple of ints")):
        if len(vals) != 1 and (vals is not st or vals):
            raise RuntimeError(f"max_pool1d() {what} of size 1 but got size {len(vals)}")
    k, p, d = k[0], p[0], d[0]
    st = st[0] if st else k
    for ok, what in ((k > 0, f"kernel_size must be greater than zero, but got {k}"),
                     (st > 0, f"stride must be greater than zero, but got {st}"),
                     (p >= 0, f"padding must be non-negative, but got {p}"),
                     (p <= k // 2, "padding should be at most half of kernel size, but got "
                                   f"padding={p} and kernel_size={k}"),
                     (d > 0, f"dilation must be greater than zero, but got {d}")):
        if not ok:
            raise RuntimeError(f"max_pool1d() {what}")
    ow = nn_pool._pool_out(sh[-1], k, st, p, d, ceil_mode)
    if ow <= 0:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {ow}")
    if not (input._rg and is_grad_enabled()) and input._data.dtype.kind not in "f":
        raise not_implemented("max_pool1d_impl", input.dtype)


def max_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False):
    """Applies a 1D max pooling over an input signal composed of several input planes."""
    if not return_indices:
        _max_pool1d_checks(input, kernel_size, stride, padding, dilation, ceil_mode)
    out, idx = max_pool1d_with_indices(input, kernel_size, stride, padding, dilation,
                                       ceil_mode)
    return (out, idx) if return_indices else out


def avg_pool1d(input: Tensor, kernel_size: Any, stride: Any = None, padding: Any = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Applies a 1D average pooling over an input signal composed of several input planes."""
    _pool1d_rank(input, "avg_pool1d")
    k, s, p = _one_each("avg_pool1d", kernel_size=kernel_size,
                        stride=kernel_size if stride is None else stride, padding=padding)
    out = avg_pool2d(input.unsqueeze(-2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return out.squeeze(-2)


def adaptive_avg_pool1d(input: Tensor, output_size: Any) -> Tensor:
    """Applies a 1D adaptive average pooling over an input signal."""
    size = _adaptive_1d(input, output_size, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), [1, size]).squeeze(-2)


def _adaptive_1d(input: Tensor, output_size: Any, name: str) -> int:
    # torch's checks of a 1-D adaptive pooling: its rank, then one output size.
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for {name})")
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != 1:
            raise RuntimeError(f"{name}() argument 'output_size' should contain one int (got "
                               f"{len(output_size)})")
        output_size = output_size[0]
    if name == "adaptive_max_pool1d":
        for i in range(1, input.dim()):
            if not input.shape[i]:
                raise RuntimeError(
                    f"{name}(): Expected input to have non-zero size for non-batch dimensions, "
                    f"but input has sizes {list(input.shape)} with dimension {i} being empty")
    return output_size


# -- dropout -------------------------------------------------------------------------------

def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """During training, randomly zeroes elements of the input with probability p (a
    Bernoulli draw per element) and scales the rest by 1 / (1 - p)."""
    _check_p(p)
    x = input._data
    if p == 0 or not training or x.size == 0:
        return input
    if p == 1:
        noise = wrap(np.zeros((), x.dtype))
    else:
        _check_noise_dtype(input)
        # One mask per example under vmap(randomness="different").
        noise = creation.batched_draw(lambda s: _random.dropout_noise(s, p, x.dtype, like=x),
                                      x.shape)
    return input.mul_(noise) if inplace else input * noise


# -- normalization -------------------------------------------------------------------------

def _verify_batch_size(size: Any) -> None:
    # Statistics over one value per channel are undefined in training. (A 0-dim input's
    # IndexError and a tensor num_groups' truth fail here, in torch's Python code.)
    size_prods = tuple(size)[0]
    for i in range(len(size) - 2):
        size_prods *= size[i + 2]
    if _truth(size_prods == 1):
        raise ValueError("Expected more than 1 value per channel when training, got input size "
                         f"{size}")


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Apply Batch Normalization for each channel across a batch of data."""
    train = _truth(training)
    if train:
        _reach("size", input)
        _verify_batch_size(input.size())
    if train and eps <= 0.0:
        raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    return nn_norm.batch_norm(input, running_mean, running_var, weight, bias, training,
                              momentum, eps)


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Apply Group Normalization for last certain number of dimensions."""
    _reach("dim", input)
    if input.dim() < 2:
        raise RuntimeError("Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    try:
        per_group = input.size(0) * input.size(1) // num_groups
    except RuntimeError as e:
        e.python_level = True  # a tensor num_groups' op fails in torch's Python code
        raise
    _verify_batch_size([per_group, num_groups] + list(input.size()[2:]))
    return nn_norm.group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalizes each channel of each sample over its spatial dimensions."""
    if use_input_stats:
        _reach("size", input)
    shape = tuple(input.shape)
    if use_input_stats and int(np.prod(shape[2:])) <= 1:
        raise ValueError("Expected more than 1 spatial element when training, got input size "
                         f"{input.shape!r}")
    b, c = shape[0], shape[1]
    # As torch: batch norm over one sample of b*c channels, statistics repeated per sample
    # and averaged back into the running ones.
    flat = input.view(1, b * c, *shape[2:])
    means = None if running_mean is None else running_mean.repeat(b)
    variances = None if running_var is None else running_var.repeat(b)
    out = nn_norm.batch_norm(flat, means, variances, None if weight is None else weight.repeat(b),
                     None if bias is None else bias.repeat(b), use_input_stats, momentum, eps)
    with no_grad():
        if running_mean is not None:
            running_mean.copy_(means.view(b, c).mean(0))
        if running_var is not None:
            running_var.copy_(variances.view(b, c).mean(0))
    return out.view(*shape)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple:
    """2-D adaptive max pooling returning the maxima and their indices."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool1d_with_indices(input: Tensor, output_size: Any,
                                     return_indices: bool = True) -> tuple:
    """1-D adaptive max pooling returning the maxima and their indices."""
    size = _adaptive_1d(input, output_size, "adaptive_max_pool1d")
    out, idx = adaptive_max_pool2d(input.unsqueeze(-2), [1, size], True)
    return out.squeeze(-2), idx.squeeze(-2)


def adaptive_max_pool1d(input: Tensor, output_size: Any, return_indices: bool = False) -> Any:
    """1-D adaptive max pooling over the last dimension."""
    out, idx = adaptive_max_pool1d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def gumbel_softmax(logits: Tensor, tau: float = 1, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1) -> Tensor:
    """Samples from the Gumbel-Softmax distribution: softmax((logits + g) / tau) with
    g ~ Gumbel(0, 1); with hard, one-hot samples whose gradient is the soft sample's."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    check_call("empty_like", (logits,), {})  # torch draws the noise through empty_like
    gumbels = -creation.empty_like(logits).exponential_().log()
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    index = y_soft.max(dim, keepdim=True)[1]
    y_hard = creation.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y_soft.detach() + y_soft


def _feature_dropout(input: Tensor, p: float, training: bool, inplace: bool,
                     batched: bool) -> Tensor:
    """Zeroes whole channels: one Bernoulli draw per (sample, channel), the kept ones
    scaled by 1 / (1 - p)."""
    x = input._data
    if p == 0 or not training or x.size == 0:
        return input
    shape = x.shape if batched else (1,) + x.shape
    if p < 1:
        if len(shape) < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        _check_noise_dtype(input)
    noise = wrap(_random.dropout_noise(shape[:2] + (1,) * (len(shape) - 2), p, x.dtype))
    if inplace:
        return input.mul_(noise if batched else noise.squeeze(0))
    if batched:
        return input * noise
    return (input.unsqueeze(0) * noise).squeeze(0)


def _check_noise_dtype(input: Tensor) -> None:
    # torch multiplies by a floating noise tensor into the input's dtype.
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"result type {get_default_dtype()._legacy} can't be cast to the "
                           f"desired output type {input.dtype._legacy}")


def _check_p(p: float) -> None:
    # torch's Python test (a tensor p of other than one value fails in its truth)
    if _truth(p < 0.0) or _truth(p > 1.0):
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Randomly zeroes whole channels of a (batched) 1-D signal, (N, C, L) or (C, L)."""
    _check_p(p)
    _reach("dim", input)
    if input.dim() not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.dim()}D input. Note "
            "that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial "
            "dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D "
            "inputs).")
    return _feature_dropout(input, p, training, inplace, input.dim() == 3)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Randomly zeroes whole channels of (N, C, H, W) input (a 3-D input is taken as
    (N, C, L), as torch does for now, with its warning)."""
    _check_p(p)
    _reach("dim", input)
    n = input.dim()
    _warn_rank("dropout2d", n, 2)
    if n == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C "
            "is the channel dim. This behavior will change in a future release to interpret "
            "the input as one without a batch dimension, i.e. shape (C, H, W). To maintain "
            "the 1D channel-wise dropout behavior, please switch to using dropout1d "
            "instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, True)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """Randomly zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    n = input.dim()
    _warn_rank("dropout3d", n, 3)
    return _feature_dropout(input, p, training, inplace, n == 5)


def _warn_rank(name: str, n: int, spatial: int) -> None:
    # torch's deprecation warning for feature dropout of an input of another rank.
    if n not in (spatial + 1, spatial + 2):
        warnings.warn(
            f"{name}: Received a {n}-D input to {name}, which is deprecated and will result "
            "in an error in a future release. To retain the behavior and silence this "
            f"warning, please use dropout instead. Note that {name} exists to provide "
            f"channel-wise dropout on inputs with {spatial} spatial dimensions, a channel "
            f"dimension, and an optional batch dimension (i.e. {spatial + 1}D or "
            f"{spatial + 2}D inputs).", stacklevel=3)


# -- padding -------------------------------------------------------------------------------

def pad(input: Tensor, pad: Any, mode: str = "constant", value: float | None = None) -> Tensor:
    """Pads the last len(pad) // 2 dimensions of input: pad lists (left, right) amounts
    starting from the last dimension."""
    x = input._data
    pad = tuple(int(v) for v in pad)
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    k = len(pad) // 2
    if k > x.ndim:
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           "input dimension but got padding length "
                           f"{len(pad)} and input of dimension {x.ndim}")
    pairs = [(0, 0)] * (x.ndim - k) + [(pad[2 * i], pad[2 * i + 1]) for i in range(k)][::-1]
    if mode == "constant":
        return _constant_pad(input, pairs, 0.0 if value is None else value)
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if not ((len(pad) == 2 and x.ndim in (2, 3)) or (len(pad) == 4 and x.ndim in (3, 4))
            or (len(pad) == 6 and x.ndim in (4, 5))):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    return _index_pad(input, pairs, mode)


# -- small utilities -------------------------------------------------------------------------

def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """Takes a LongTensor of class indices and returns a tensor with one-hot rows."""
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if x.size == 0 and num_classes <= 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(x.max()) + 1
    if x.size:
        if x.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if x.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(x.shape + (num_classes,), np.int64)
    np.put_along_axis(out, x[..., None], 1, axis=-1)
    return wrap(out)


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12,
              out: Any = None) -> Tensor:
    """Performs Lp normalization of inputs over the specified dimension."""
    _reach("norm", input)
    if isinstance(p, str):
        if p not in ("fro", "nuc"):
            raise RuntimeError(f"linalg.matrix_norm: Order {p} not supported.")
    else:
        # torch's input.norm(p, dim) reaches linalg_vector_norm's parser
        check_call("linalg_vector_norm", (input, 2.0 if p is None else p, dim, True), {})
    # torch's input.norm(p, dim): p None is the 2-norm.
    denom = vector_norm(input, 2.0 if p is None else p, dim, True).clamp(min=eps).expand_as(input)
    return input / denom


def _pairs(**params: Any) -> list:
    # torch's _pair of each parameter, then its kernel's check that each has two values.
    out = []
    for name, v in params.items():
        pair = _pair(v)
        if len(pair) != 2:
            raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(pair)}")
        out.append(pair)
    return out


def _block_checks(k: tuple, d: tuple, p: tuple, s: tuple, fold: bool) -> None:
    # torch's im2col / col2im parameter checks (in their two orders).
    checks = [
        (k[0] > 0 and k[1] > 0, f"kernel size should be greater than zero, but got "
                                f"kernel_height: {k[0]} kernel_width: {k[1]}"),
        (d[0] > 0 and d[1] > 0, f"dilation should be greater than zero, but got "
                                f"dilation_height: {d[0]} dilation_width: {d[1]}"),
        (p[0] >= 0 and p[1] >= 0, f"padding should be non-negative, but got pad_height: "
                                  f"{p[0]} pad_width: {p[1]}"),
        (s[0] > 0 and s[1] > 0, f"stride should be greater than zero, but got stride_height: "
                                f"{s[0]} stride_width: {s[1]}"),
    ]
    if fold:
        checks = [checks[0], checks[3], checks[1], checks[2]]
    for ok, msg in checks:
        if not ok:
            raise RuntimeError(msg)


def unfold(input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
           stride: Any = 1) -> Tensor:
    """Extracts sliding local blocks from a batched input tensor."""
    k, d, p, s = _pairs(kernel_size=kernel_size, dilation=dilation, padding=padding,
                        stride=stride)
    _block_checks(k, d, p, s, False)
    x = input._data
    valid = input.size(1) != 0 and input.size(2) != 0
    if not (x.ndim == 3 and x.shape[0] and valid or x.ndim == 4 and valid and x.shape[3]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           "and other non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    h, w = x.shape[-2:]
    oh = (h + 2 * p[0] - (d[0] * (k[0] - 1) + 1)) // s[0] + 1
    ow = (w + 2 * p[1] - (d[1] * (k[1] - 1) + 1)) // s[1] + 1
    if oh < 1 or ow < 1:
        raise RuntimeError(f"Given input with spatial size ({h}, {w}), kernel_size=({k[0]}, "
                           f"{k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
                           f"calculated shape of the array of sliding blocks as ({oh}, {ow}), "
                           "but its components must be at least one.")
    if x.dtype.kind in "iu":
        raise not_implemented("im2col_out_cpu", input.dtype)
    t = input if x.ndim == 4 else input.unsqueeze(0)
    out = nn_kernels._im2col(t, k, d, (p[0], p[0], p[1], p[1]), s)
    return out if x.ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1,
         padding: Any = 0, stride: Any = 1) -> Tensor:
    """Combines an array of sliding local blocks into a large containing tensor."""
    o, k, d, p, s = _pairs(output_size=output_size, kernel_size=kernel_size,
                           dilation=dilation, padding=padding, stride=stride)
    _block_checks(k, d, p, s, True)
    x = input._data
    if not (x.ndim == 2 and x.shape[0] and x.shape[1] or x.ndim == 3 and x.shape[1] and
            x.shape[2]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           "batch size and non-zero dimensions for input, but got: "
                           f"{list(x.shape)}")
    cols, blocks = x.shape[-2:]
    if cols % (k[0] * k[1]):
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product "
                           f"of kernel_size, but got input.size(1)={cols} and kernel_size={k}.")
    n = [(o[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2)]
    given = (f"Given output_size={o}, kernel_size={k}, dilation={d}, padding={p}, "
             f"stride={s}, ")
    if blocks != n[0] * n[1]:
        raise RuntimeError(f"{given}expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {n[0]} * {n[1]} = "
                           f"{n[0] * n[1]}, but got input.size(2)={blocks}.")
    if n[0] < 1 or n[1] < 1:
        raise RuntimeError(f"{given}calculated shape of the array of sliding blocks as "
                           f"({n[0]}, {n[1]}), which is too small (non-positive)")
    if o[0] < 1 or o[1] < 1:
        raise RuntimeError("Expected output spatial size to be positive, but got: "
                           f"output_size={o}.")
    if x.dtype.kind in "iu":
        raise not_implemented("col2im_out_cpu", input.dtype)
    t = input if x.ndim == 3 else input.unsqueeze(0)
    out = nn_kernels._col2im(t, o, k, d, (p[0], p[0], p[1], p[1]), s)
    return out if x.ndim == 3 else out.squeeze(0)


def _pair(v: Any) -> tuple:
    # torch's _pair: anything iterable (a tensor included) is taken as its items
    if isinstance(v, Iterable):
        return tuple(int(a) for a in v)
    return (int(v), int(v))


# -- interpolation ------------------------------------------------------------------------

def interpolate(input: Tensor, size: Any = None, scale_factor: Any = None,
                mode: str = "nearest", align_corners: bool | None = None,
                recompute_scale_factor: bool | None = None, antialias: bool = False) -> Tensor:
    """Down/up samples the input to the given size or by the given scale_factor ('nearest',
    'linear' or 'bilinear')."""
    # torch's Python checks, in its order, then its kernels' own.
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating "
                             "modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    _reach("dim", input)
    nsp = input.dim() - 2
    spatial = list(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != nsp:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but "
                    f"got input with spatial dimensions of {spatial} and output size of "
                    f"{size}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "output size in (o1, o2, ...,oK) format.")
            if not all(isinstance(v, (int, np.integer)) for v in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, "
                                "int] or Tuple[int, int, int], but got size with types "
                                f"{[type(v) for v in size]}")
        # torch's output_size and scale_factors, as its Python code hands them on.
        output_size = size if isinstance(size, (list, tuple)) else [size] * nsp
        scale_factors = None
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)) and len(scale_factor) != nsp:
            raise ValueError(
                "Input and scale_factor must have the same number of spatial dimensions, but "
                f"got input with spatial dimensions of {spatial} and scale_factor of shape "
                f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format "
                "and scale_factor in (s1, s2, ...,sK) format.")
        output_size = None
        scale_factors = scale_factor if isinstance(scale_factor, (list, tuple)) else \
            [scale_factor] * nsp
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if mode == "area" and output_size is None:
        recompute_scale_factor = True
    if recompute_scale_factor:
        # torch's sym_int: the product truncated toward zero.
        output_size = [int(spatial[i] * scale_factors[i]) for i in range(nsp)]
        scale_factors = None
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and input.dim() == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos "
                         "modes and requires a 4-D tensor as input")
    nd = nsp + 2
    if mode == "area" and nd in (3, 4):
        return (adaptive_avg_pool1d if nd == 3 else adaptive_avg_pool2d)(input, output_size)
    native = {(3, "nearest"): "upsample_nearest1d", (4, "nearest"): "upsample_nearest2d",
              (3, "linear"): "upsample_linear1d", (4, "bilinear"): "upsample_bilinear2d"}
    if (nd, mode) not in native:
        need = {"linear": 3, "bilinear": 4, "trilinear": 5}
        if mode in need and nd in (3, 4, 5) and need[mode] != nd:
            raise NotImplementedError(f"Got {nd}D input, but {mode} mode needs "
                                      f"{need[mode]}D input")
        if mode in ("nearest", "nearest-exact", "area", "trilinear") and nd == 5 or \
                mode in ("bicubic", "lanczos") and nd == 4 or mode == "nearest-exact":
            raise NotImplementedError(f"Input Error: mode {mode} is not supported")
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {nd}D) for the "
            "modes: nearest | linear | bilinear | bicubic | trilinear | lanczos | area | "
            f"nearest-exact (got {mode})")
    corners = () if mode == "nearest" else (align_corners,)
    check_call(native[nd, mode], (input, output_size, *corners, scale_factors), {}, "NN")
    if output_size is None:
        # The kernel's output size: each input size times its scale, truncated.
        out_sz = tuple(int(spatial[i] * float(scale_factors[i])) for i in range(nsp))
        scales = tuple(scale_factors)
    else:
        out_sz = tuple(output_size)
        scales = (None,) * nsp
    x = input._data
    if min(out_sz) <= 0 or min(spatial) <= 0:
        if nsp == 1:
            raise RuntimeError("Input and output sizes should be greater than 0, but got input "
                               f"(W: {spatial[0]}) and output (W: {out_sz[0]})")
        raise RuntimeError("Input and output sizes should be greater than 0, but got input (H: "
                           f"{spatial[0]}, W: {spatial[1]}) output (H: {out_sz[0]}, W: "
                           f"{out_sz[1]})")
    if x.shape[1] == 0:
        raise RuntimeError(f"Non-empty {nd}D data tensor expected but got a tensor with sizes "
                           f"{list(x.shape)}")
    return _upsample(input, mode, out_sz, align_corners, scales)


# -- attention ----------------------------------------------------------------------------

def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor,
                                 attn_mask: Tensor | None = None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor:
    """softmax(Q K^T * scale + mask) V, with an optional causal mask and dropout."""
    qkv = (query, key, value)
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise RuntimeError("Expected query, key, and value to have the same dtype, but got "
                           f"query.dtype: {type_meta_name(query._data.dtype)} key.dtype: "
                           f"{type_meta_name(key._data.dtype)} and value.dtype: "
                           f"{type_meta_name(value._data.dtype)} instead.")
    if min(t._data.ndim for t in qkv) < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, "
                           f"but got query.dim: {query.dim()} key.dim: {key.dim()} and "
                           f"value.dim: {value.dim()} instead.")
    if attn_mask is not None and attn_mask._data.dtype not in (np.bool_, np.float32,
                                                                query._data.dtype):
        raise RuntimeError("Expected attn_mask dtype to be bool or float or to match query "
                           f"dtype, but got attn_mask.dtype: "
                           f"{type_meta_name(attn_mask._data.dtype)} and  query.dtype: "
                           f"{type_meta_name(query._data.dtype)} instead.")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    lq, lk = query._data.shape[-2], key._data.shape[-2]
    e = query._data.shape[-1]
    sc = (1.0 / math.sqrt(e) if e else math.inf) if scale is None else scale
    scores = matmul(query, key.transpose(-2, -1)) * sc
    if is_causal:
        mask = np.tril(np.ones((lq, lk), dtype=bool))
        scores = arithmetic.where(wrap(mask), scores, -math.inf)
    if attn_mask is not None:
        if attn_mask._data.dtype == np.bool_:
            # As torch: the mask becomes 0 / -inf in the query's dtype, then is added.
            attn_mask = wrap(np.where(attn_mask._data, 0.0, -math.inf).astype(
                query._data.dtype))
        scores = scores + attn_mask
    attn = softmax(scores, -1)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, True)
    return matmul(attn, value)


# -- losses ---------------------------------------------------------------------------------

def _apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    red = reduction_enum(reduction)
    if red == 1:
        return loss.mean()
    if red == 2:
        return loss.sum()
    return loss


def _class_dim(x: Tensor) -> int:
    return 0 if x._data.ndim == 1 else 1


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average: Any = None, ignore_index: int = -100, reduce: Any = None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """The cross entropy between input logits and target (class indices or class
    probabilities), with optional class weights and label smoothing."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    red = reduction_enum(reduction)
    # torch's Python code ends here: the rest is its native op, behind that op's parser.
    check_call("cross_entropy_loss", (input, target, weight, red, ignore_index, label_smoothing),
               {}, "NN")
    # torch's order: a target of the input's shape holds class probabilities; otherwise class
    # indices, with label smoothing only when it is positive.
    if target._data.shape == input._data.shape:
        if target._data.dtype.kind != "f":
            raise RuntimeError("Expected floating point type for target with class "
                               f"probabilities, got {target.dtype._legacy}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
        cd = _class_dim(input)
        c = input.size(cd)
        if weight is not None and (weight.dim() != 1 or weight.numel() != c):
            raise RuntimeError(f"cross_entropy: weight tensor should be defined either for all "
                               f"{c} classes or no classes but got weight tensor of shape: "
                               f"{list(weight.shape)}")
        return _ce_probs(input, target, weight, red, label_smoothing, cd, c)
    if label_smoothing > 1.0:
        # torch prints the double with C++'s six significant digits
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{float(label_smoothing):g}")
    if label_smoothing <= 0.0 and weight is None:
        fast = nn_loss.cross_entropy_rows(input, target, red, ignore_index)
        if fast is not None:
            return fast
    cd = _class_dim(input)
    logp = log_softmax(input, cd)
    nll = nll_loss(logp, target, weight, None, ignore_index, None, reduction)
    if label_smoothing <= 0.0:
        return nll
    c = input._data.shape[cd]
    # With ops rather than arrays, so that the loss batches under vmap.
    ignore = target == ignore_index
    if weight is not None:
        wshape = [1] * input._data.ndim
        wshape[cd] = c
        smooth = -(logp * weight.view(*wshape)).sum(cd)
    else:
        smooth = -logp.sum(cd)
    smooth = arithmetic.where(ignore, 0.0, smooth)
    if red == 1:
        if weight is not None:
            kept = weight[target.masked_fill(ignore, 0)]
            ret = smooth.sum() / arithmetic.where(ignore, 0.0, kept).sum()
        else:
            ret = smooth.sum() / (~ignore).sum()
    elif red == 2:
        ret = smooth.sum()
    else:
        ret = smooth
    return (1 - label_smoothing) * nll + ret * (label_smoothing / c if c else math.inf)


def _ce_probs(input: Tensor, target: Tensor, weight: Any, red: int, ls: float, cd: int,
              c: int) -> Tensor:
    logp = log_softmax(input, cd)
    if ls > 0.0:
        if ls > 1.0:
            raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {ls:g}")
        target = target * (1 - ls) + (ls / c if c else math.inf)
    prod = logp * target
    if weight is not None:
        wshape = [1] * input._data.ndim
        wshape[cd] = c
        prod = prod * weight.view(*wshape)
    if red == 1:
        if input._data.size == 0:
            return -prod.sum() * math.nan
        return -prod.sum() / (input._data.size / c)
    if red == 2:
        return -prod.sum()
    return -prod.sum(cd)


def kl_div(input: Tensor, target: Tensor, size_average: Any = None, reduce: Any = None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """The Kullback-Leibler divergence loss, input being log-probabilities."""
    if size_average is None and reduce is None and reduction != "batchmean":
        reduction_enum(reduction)
    nn_loss.kl_div_checks(input, target)
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn(
            "reduction: 'mean' divides the total loss by both the batch size and the support "
            "size.'batchmean' divides only by the batch size, and aligns with the KL div math "
            "definition.'mean' will be changed to behave the same as 'batchmean' in the next "
            "major release.", UserWarning, stacklevel=2)
    if log_target:
        out = arithmetic.exp(target) * (target - input)
    else:
        t = target
        safe = arithmetic.where(wrap(t._data == 0), 1.0, t) if t._rg else \
            wrap(np.where(t._data == 0, 1, t._data).astype(t._data.dtype))
        out = arithmetic.where(wrap(t._data == 0), 0.0, t * arithmetic.log(safe)) - t * input
    if reduction == "batchmean":
        s = out.sum()
        return s / input._data.shape[0] if input._data.ndim else s
    return _apply_reduction(out, reduction)


def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                          size_average: Any = None, reduce: Any = None,
                          reduction: str = "mean") -> Tensor:
    """Measures whether two inputs are similar (target 1) or dissimilar (target -1) by their
    cosine similarity."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    reduction_enum(reduction)
    td = nn_loss.cosine_embedding_checks(input1, input2, target)
    eps = 1e-12
    prod = (input1 * input2).sum(td)
    m1 = (input1 * input1).sum(td) + eps
    m2 = (input2 * input2).sum(td) + eps
    cos = prod / (m1 * m2).sqrt()
    zeros = wrap(np.zeros_like(cos._data))
    pos = 1 - cos
    neg = (cos - margin).clamp(min=0)
    out = arithmetic.where(target == 1, pos, zeros) + arithmetic.where(target == -1, neg, zeros)
    return _apply_reduction(out, reduction)


def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0,
                         size_average: Any = None, reduce: Any = None,
                         reduction: str = "mean") -> Tensor:
    """input where target is 1, max(0, margin - input) where target is -1."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    reduction_enum(reduction)
    zeros = wrap(np.zeros_like(input._data))
    # torch subtracts from the margin taken in the input's dtype
    margin_clamp = (creation.full_like(input, margin) - input).clamp_min_(0)
    output_margin = arithmetic.where(target != 1, margin_clamp, zeros)
    output_self = arithmetic.where(target != -1, input, zeros)
    return _apply_reduction(output_margin + output_self, reduction)


def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True,
                     full: bool = False, size_average: Any = None, eps: float = 1e-8,
                     reduce: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of target under a Poisson distribution of rate input
    (exp(input) when log_input)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    return _apply_reduction(nn_loss.poisson_nll(input, target, log_input, full, eps), reduction)


def gaussian_nll_loss(input: Tensor, target: Tensor, var: Any, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """Negative log likelihood of target under Gaussians of mean input and variance var."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = var * wrap(np.ones_like(input._data))
    else:
        below = var < 0
        try:  # torch.any, whose parser refuses a non-tensor (`var < 0` of a number)
            check_call("any", (below,), {})
        except TypeError as e:
            e.python_level = True
            raise
        if _any(below):
            raise ValueError("var has negative entry/entries")
    _reach("size", var, input)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim() and sum(
                y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    var = var.clone()
    with no_grad():
        var.clamp_(min=eps)
    loss = 0.5 * (var.log() + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _apply_reduction(loss, reduction)


def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Any = None,
                                size_average: Any = None, reduce: Any = None,
                                reduction: str = "mean") -> Tensor:
    """The multi-label one-versus-all loss: binary cross-entropy of sigmoid(input) per
    class, averaged over the classes."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    class_dim = input.dim() - 1
    loss = loss.sum(dim=class_dim) / input.size(class_dim)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    return _apply_reduction(loss, reduction)


def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor,
                        margin: float = 1.0, p: float = 2, eps: float = 1e-6,
                        swap: bool = False, size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with the p-norm pairwise distance."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    a_dim, p_dim, n_dim = anchor.dim(), positive.dim(), negative.dim()
    if not (a_dim == p_dim == n_dim):
        raise RuntimeError(
            f"The anchor, positive, and negative tensors are expected to have the same number "
            f"of dimensions, but got: anchor {a_dim}D, positive {p_dim}D, and negative "
            f"{n_dim}D inputs")
    dist_pos = pairwise_distance(anchor, positive, p, eps)
    dist_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        dist_swap = pairwise_distance(positive, negative, p, eps)
        dist_neg = elementary.minimum(dist_neg, dist_swap)
    out = (margin + dist_pos - dist_neg).clamp_min(0)
    return _apply_reduction(out, reduction)


def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0.0,
                        size_average: Any = None, reduce: Any = None,
                        reduction: str = "mean") -> Tensor:
    """max(0, -target * (input1 - input2) + margin)."""
    if size_average is not None or reduce is not None:
        reduction = legacy_reduction(size_average, reduce)
    reduction_enum(reduction)
    _reach("dim", input1, input2)
    _reach("dim" if input1.dim() == input2.dim() else "size", target)
    if not (input1._data.ndim == input2._data.ndim == target._data.ndim):
        raise RuntimeError(
            "margin_ranking_loss : All input tensors should have same dimension but got "
            f"sizes: input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    out = (-target * (input1 - input2) + margin).clamp(min=0)
    return _apply_reduction(out, reduction)


# Ops of their own for the transforms, with batching rules of their own: their fast paths read
# arrays. Wrapped here, before any other module imports them.
linear = _transform_hooks.transform_op(linear, "linear")
pad = _transform_hooks.transform_op(pad, "pad")


# -- multi-head attention: the functional form behind nn.MultiheadAttention, step for step as
# torch composes it (same ops, so the same values, gradients and graph) ------------------------

def _mha_shape_check(query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Any,
                     attn_mask: Any, num_heads: int) -> bool:
    # Whether the inputs are batched; their ranks must agree with the query's.
    qd = query.dim()
    if qd not in (2, 3):
        raise AssertionError("query should be unbatched 2D or batched 3D tensor but received "
                             f"{qd}-D query tensor")
    batched = qd == 3
    kind = "batched (3-D)" if batched else "unbatched (2-D)"
    if key.dim() != qd or value.dim() != qd:
        raise AssertionError(f"For {kind} `query`, expected `key` and `value` to be {qd}-D but "
                             f"found {key.dim()}-D and {value.dim()}-D tensors respectively")
    if key_padding_mask is not None and key_padding_mask.dim() != qd - 1:
        raise AssertionError(f"For {kind} `query`, expected `key_padding_mask` to be `None` or "
                             f"{qd - 1}-D but found {key_padding_mask.dim()}-D tensor instead")
    if attn_mask is not None:
        if attn_mask.dim() not in (2, 3):
            raise AssertionError(f"For {kind} `query`, expected `attn_mask` to be `None`, 2-D "
                                 f"or 3-D but found {attn_mask.dim()}-D tensor instead")
        if not batched and attn_mask.dim() == 3:
            expected = (num_heads, query.shape[0], key.shape[0])
            if attn_mask.shape != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{attn_mask.shape}")
    return batched


def _canonical_mask(mask: Tensor | None, mask_name: str, other_type: Any, other_name: str,
                    target_type: Any, check_other: bool = True) -> Tensor | None:
    # Bool masks become additive float masks (-inf where True); float masks pass through.
    if mask is None:
        return None
    kind = mask._data.dtype.kind
    if kind != "b" and kind != "f":
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other_type is not None and mask.dtype != other_type:
        warnings.warn(f"Support for mismatched {mask_name} and {other_name} is deprecated. "
                      "Use same type for both instead.", UserWarning, stacklevel=3)
    if kind == "b":
        add = np.zeros(mask._data.shape, target_type.np)
        add[mask._data] = -np.inf
        return wrap(add)
    return mask


def _none_or_dtype(input: Tensor | None) -> Any:
    if input is None:
        return None
    if isinstance(input, Tensor):
        return input.dtype
    raise RuntimeError("input to _none_or_dtype() must be None or torch.Tensor")


def _in_projection_packed(q: Tensor, k: Tensor, v: Tensor, w: Tensor,
                          b: Tensor | None) -> tuple:
    e = q.shape[-1]
    if k is v:
        if q is k:
            # Self-attention: one projection, split as (3, E) so each part is contiguous.
            proj = linear(q, w, b).unflatten(-1, (3, e)).unsqueeze(0).transpose(0, -2)
            proj = proj.squeeze(-2).contiguous()
            return proj[0], proj[1], proj[2]
        w_q, w_kv = w.split([e, e * 2])
        b_q, b_kv = (None, None) if b is None else b.split([e, e * 2])
        kv = linear(k, w_kv, b_kv).unflatten(-1, (2, e)).unsqueeze(0).transpose(0, -2)
        kv = kv.squeeze(-2).contiguous()
        return linear(q, w_q, b_q), kv[0], kv[1]
    w_q, w_k, w_v = w.chunk(3)
    b_q, b_k, b_v = (None, None, None) if b is None else b.chunk(3)
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _in_projection(q: Tensor, k: Tensor, v: Tensor, w_q: Tensor, w_k: Tensor, w_v: Tensor,
                   b_q: Any, b_k: Any, b_v: Any) -> tuple:
    eq, ek, ev = q.shape[-1], k.shape[-1], v.shape[-1]
    for name, w, want in (("query", w_q, (eq, eq)), ("key", w_k, (eq, ek)),
                          ("value", w_v, (eq, ev))):
        if w.shape != want:
            raise AssertionError(f"expecting {name} weights shape of {want}, but got {w.shape}")
    for name, b in (("query", b_q), ("key", b_k), ("value", b_v)):
        if b is not None and b.shape != (eq,):
            raise AssertionError(f"expecting {name} bias shape of {(eq,)}, but got {b.shape}")
    return linear(q, w_q, b_q), linear(k, w_k, b_k), linear(v, w_v, b_v)


def _causal_mask(tgt: int, src: int, dt: np.dtype) -> Tensor:
    add = np.zeros((tgt, src), dt)
    add[~np.tril(np.ones((tgt, src), bool))] = -np.inf
    return wrap(add)


def multi_head_attention_forward(
    query: Tensor, key: Tensor, value: Tensor, embed_dim_to_check: int, num_heads: int,
    in_proj_weight: Tensor | None, in_proj_bias: Tensor | None, bias_k: Tensor | None,
    bias_v: Tensor | None, add_zero_attn: bool, dropout_p: float, out_proj_weight: Tensor,
    out_proj_bias: Tensor | None, training: bool = True,
    key_padding_mask: Tensor | None = None, need_weights: bool = True,
    attn_mask: Tensor | None = None, use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None, k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None, static_k: Tensor | None = None,
    static_v: Tensor | None = None, average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple:
    """Forward method for MultiHeadAttention: project query, key and value, attend per head,
    project the concatenated heads; returns (attn_output, attn_output_weights or None)."""
    batched = _mha_shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask",
                                       _none_or_dtype(attn_mask), "attn_mask", query.dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to "
                           "create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        # The hint stands for the mask itself: the causal mask is used, attn_mask ignored.
        attn_mask = None
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", query.dtype, False)
        if key_padding_mask is not None:
            is_causal = False
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if use_separate_proj_weight:
        if key.shape[:2] != value.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {key.shape[:2]} do not match "
                                 f"value's {value.shape[:2]}")
    elif key.shape != value.shape:
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")

    if not use_separate_proj_weight:
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        q, k, v = _in_projection_packed(query, key, value, in_proj_weight, in_proj_bias)
    else:
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight "
                                     "is None")
        b_q, b_k, b_v = (None, None, None) if in_proj_bias is None else in_proj_bias.chunk(3)
        q, k, v = _in_projection(query, key, value, q_proj_weight, k_proj_weight,
                                 v_proj_weight, b_q, b_k, b_v)

    if attn_mask is not None:
        if attn_mask.dim() == 2:
            if attn_mask.shape != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.dim() == 3:
            if attn_mask.shape != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {attn_mask.shape}, but "
                                   f"should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.dim()} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError("bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError("bias cannot be added to static value.")
        k = cat([k, bias_k.repeat(1, bsz, 1)])
        v = cat([v, bias_v.repeat(1, bsz, 1)])
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    elif bias_k is not None:
        raise AssertionError("bias_k is set but bias_v is None")
    elif bias_v is not None:
        raise AssertionError("bias_v is set but bias_k is None")

    q = q.view(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "k", bsz, num_heads, head_dim)
    v = _heads(v, static_v, "v", bsz, num_heads, head_dim)

    if add_zero_attn:
        zeros = (bsz * num_heads, 1, head_dim)
        k = cat([k, wrap(np.zeros(zeros, k._data.dtype))], 1)
        v = cat([v, wrap(np.zeros(zeros, v._data.dtype))], 1)
        if attn_mask is not None:
            attn_mask = pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = pad(key_padding_mask, (0, 1))
    src_len = k.shape[1]

    if key_padding_mask is not None:
        if key_padding_mask.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got "
                                 f"{key_padding_mask.shape[0]}")
        if key_padding_mask.shape[1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_len}, but got "
                                 f"{key_padding_mask.shape[1]}")
        key_padding_mask = key_padding_mask.view(bsz, 1, 1, src_len).expand(
            -1, num_heads, -1, -1).reshape(bsz * num_heads, 1, src_len)
        attn_mask = key_padding_mask if attn_mask is None else attn_mask + key_padding_mask
    if not training:
        dropout_p = 0.0

    if not need_weights and attn_mask is None and is_causal:
        attn_mask = _causal_mask(tgt_len, src_len, q._data.dtype)
    q_scaled = q * math.sqrt(1.0 / float(q.shape[-1]))
    if attn_mask is not None:
        weights = baddbmm(attn_mask, q_scaled, k.transpose(-2, -1))
    else:
        weights = bmm(q_scaled, k.transpose(-2, -1))
    weights = softmax(weights, dim=-1)
    if dropout_p > 0.0:
        weights = dropout(weights, p=dropout_p)
    out = bmm(weights, v)
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias)
    out = out.view(tgt_len, bsz, out.shape[1])
    if not need_weights:
        return (out if batched else out.squeeze(1)), None
    weights = weights.view(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        weights = weights.mean(dim=1)
    if not batched:
        out = out.squeeze(1)
        weights = weights.squeeze(0)
    return out, weights


def _heads(t: Tensor, static: Tensor | None, name: str, bsz: int, num_heads: int,
           head_dim: int) -> Tensor:
    # (S, N, E) -> (N * heads, S, head_dim), or the given static keys / values.
    if static is None:
        return t.view(t.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.shape[0] != bsz * num_heads:
        raise AssertionError(f"expecting static_{name}.size(0) of {bsz * num_heads}, but got "
                             f"{static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting static_{name}.size(2) of {head_dim}, but got "
                             f"{static.shape[2]}")
    return static


def _record_as_ops() -> None:
    # Last, before any other module imports them: the functions that compute on arrays
    # themselves (the others are ops) are seen by a compiled region that records as one op.
    namespace = globals()
    for name in __all__:
        fn = namespace[name]
        if isinstance(fn, types.FunctionType) and fn not in _transform_hooks.ORIGINAL_OF:
            namespace[name] = _transform_hooks.recorded_op(fn, name)


_record_as_ops()
