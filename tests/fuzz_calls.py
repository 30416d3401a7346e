"""Generator of bad (and some good) calls for the differential error fuzzer.

A call is described once, in plain data (`Call`), and built twice: for torch and for ember.
Tensors in a description are `T` records (shape, dtype, seed), so both libraries get tensors
with the same values. The op table `OPS` gives, for every fuzzed function, method, functional
and module, the kinds of its arguments; the strategies below draw, for each kind, mostly
plausible values (of random shapes, so shapes often clash) and sometimes a value from a pool
of wrong ones (None, strings, floats where ints go, lists, 0-dim and empty tensors, other
dtypes)."""

from __future__ import annotations

import math
import os
import re
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st

# ---------------------------------------------------------------- descriptions


@dataclass(frozen=True)
class T:
    """A tensor: shape, dtype name, and the seed of its values."""

    shape: tuple
    dtype: str = "float32"
    seed: int = 0

    def __repr__(self) -> str:
        return f"T({self.shape}, {self.dtype})"


@dataclass(frozen=True)
class DT:
    """A dtype, by torch's name."""

    name: str

    def __repr__(self) -> str:
        return self.name


@dataclass
class Call:
    """One call: `target` names what is called (see `resolve`), then its arguments;
    modules get `ctor` arguments first and are then called with `args`."""

    target: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    ctor: tuple = ()
    ctor_kwargs: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        s = f"{self.target}({', '.join(parts)})"
        if self.target.startswith("nn."):
            c = [repr(a) for a in self.ctor] + [f"{k}={v!r}" for k, v in self.ctor_kwargs.items()]
            s = f"{self.target}({', '.join(c)})({', '.join(parts)})"
        return s


def array_of(t: T) -> np.ndarray:
    rng = np.random.default_rng(t.seed)
    if t.dtype == "bool":
        return rng.integers(0, 2, t.shape).astype(bool)
    if t.dtype.startswith("int") or t.dtype == "uint8":
        return rng.integers(0, 2, t.shape).astype(t.dtype)
    return rng.standard_normal(t.shape).astype(t.dtype)


def build(x: Any, lib: Any) -> Any:
    """The library's twin of a description."""
    if isinstance(x, T):
        return lib.from_numpy(array_of(x))
    if isinstance(x, DT):
        return getattr(lib, x.name)
    if isinstance(x, list):
        return [build(v, lib) for v in x]
    if isinstance(x, tuple):
        return tuple(build(v, lib) for v in x)
    return x


def resolve(target: str, lib: Any) -> Any:
    if target.startswith("F."):
        return getattr(lib.nn.functional, target[2:])
    if target.startswith("nn."):
        return getattr(lib.nn, target[3:])
    return getattr(lib, target)


def _copy_state(tm: Any, em: Any) -> None:
    # The two modules' parameters and buffers start equal, so that values can be compared.
    import ember

    es = em.state_dict()
    with ember.no_grad():
        for k, v in tm.state_dict().items():
            if k in es and tuple(es[k].shape) == tuple(v.shape):
                es[k].copy_(ember.from_numpy(v.detach().numpy().copy()))


def _seed(lib: Any) -> None:
    # The CPU generator only, which is all that CPU ops draw from: torch.manual_seed also
    # queues a seeding call for CUDA, XPU and MTIA, each of which formats the whole Python
    # stack (pytest's and hypothesis' frames), and that took three quarters of the run.
    lib.default_generator.manual_seed(0)


def run(call: Call, lib: Any, twin: Any = None) -> Any:
    """Runs the call in `lib`; a module call copies the state of `twin` (torch's module)."""
    args = build(call.args, lib)
    kwargs = {k: build(v, lib) for k, v in call.kwargs.items()}
    _seed(lib)
    if call.target.startswith("Tensor."):
        return getattr(args[0], call.target[7:])(*args[1:], **kwargs)
    fn = resolve(call.target, lib)
    if call.target.startswith("nn."):
        mod = fn(*build(call.ctor, lib), **{k: build(v, lib) for k, v in call.ctor_kwargs.items()})
        if twin is not None:
            _copy_state(twin, mod)
        _seed(lib)
        return mod, mod(*args, **kwargs)
    return fn(*args, **kwargs)


# ---------------------------------------------------------------- outcomes

NUMPY_DIR = os.path.dirname(np.__file__)

# Normalisations of the first line of a message before comparing it with torch's. Each
# entry: (pattern, replacement, why).
NORMALISE = [
    (r"0x[0-9a-fA-F]+", "0x?", "object addresses differ between two processes' objects"),
]


def first_line(e: BaseException) -> str:
    s = str(e)
    if isinstance(e, KeyError) and e.args:
        s = str(e.args[0])
    line = s.strip().splitlines()[0] if s.strip() else ""
    for pat, rep, _ in NORMALISE:
        line = re.sub(pat, rep, line)
    return line


def builtin_base(cls: type) -> type:
    """The most derived built-in exception class of `cls` (torch's own classes, such as
    torch.linalg.LinAlgError, derive from one)."""
    for c in cls.__mro__:
        if c.__module__ == "builtins":
            return c
    return BaseException


def same_class(ee: BaseException, te: BaseException) -> bool:
    """ember's class is torch's: same name and same built-in base."""
    return (type(ee).__name__ == type(te).__name__
            and builtin_base(type(ee)) is builtin_base(type(te)))


def numpy_last(e: BaseException) -> bool:
    """Whether the last frame of the traceback lies inside NumPy."""
    frames = traceback.extract_tb(e.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(NUMPY_DIR)


def value_difference(e: Any, t: Any, float_tol: float | None = None) -> str | None:
    """None when ember's result equals torch's (types, shapes, dtypes, values); floats
    compare within their dtype's tolerance, or `float_tol`."""
    import torch

    import ember

    if isinstance(t, torch.Tensor):
        if not isinstance(e, ember.Tensor):
            return f"ember gave {type(e).__name__}, torch a Tensor"
        if tuple(e.shape) != tuple(t.shape):
            return f"shape {tuple(e.shape)} != {tuple(t.shape)}"
        if str(e.dtype) != str(t.dtype):
            return f"dtype {e.dtype} != {t.dtype}"
        tn = t.detach().numpy()
        en = e.detach().numpy()
        if tn.dtype.kind == "f":
            tol = float_tol or {2: 1e-2, 4: 1e-4, 8: 1e-9}[tn.dtype.itemsize]
            ok = np.allclose(en.astype(np.float64), tn.astype(np.float64), rtol=tol, atol=tol,
                             equal_nan=True)
        else:
            ok = np.array_equal(en, tn)
        return None if ok else "values differ"
    if isinstance(t, torch.dtype):
        return None if str(e) == str(t) else f"{e} != {t}"
    if isinstance(t, torch.nn.Module):
        return None if type(e).__name__ == type(t).__name__ else "module types differ"
    if isinstance(t, (tuple, list)):
        if not isinstance(e, (tuple, list)) or len(e) != len(t):
            return f"ember gave {e!r}, torch {t!r}"
        for a, b in zip(e, t):
            d = value_difference(a, b, float_tol)
            if d:
                return d
        return None
    if isinstance(t, float):
        if isinstance(e, (int, float)) and (e == t or (math.isnan(t) and math.isnan(e))
                                           or math.isclose(e, t, rel_tol=1e-5)):
            return None
        return f"ember gave {e!r}, torch {t!r}"
    if type(e) is not type(t) and not (t is None and e is None):
        return f"ember gave {type(e).__name__} {e!r}, torch {type(t).__name__} {t!r}"
    return None if e == t else f"ember gave {e!r}, torch {t!r}"


# ---------------------------------------------------------------- strategies

SHAPES = [(), (0,), (1,), (3,), (2, 3), (3, 2), (3, 3), (1, 3), (2, 1), (2, 0), (2, 3, 4),
          (2, 2, 3), (1, 2, 3, 3), (2, 3, 4, 4)]
FLOATS = ["float32"] * 6 + ["float64", "float16"]
DTYPES = FLOATS + ["int64", "int32", "bool", "uint8"]


def tensors(shapes: list = SHAPES, dtypes: list = DTYPES) -> st.SearchStrategy:
    return st.builds(T, st.sampled_from(shapes), st.sampled_from(dtypes),
                     st.integers(0, 1000))


BAD = st.one_of(
    st.sampled_from([None, "a", 1.5, -1, 7, [1.0, 2.0], (1, 2), True, math.nan, [], -3.0]),
    tensors([(), (0,), (3,), (2, 3)], ["int64", "bool", "float64", "float32"]),
)

_DIMS = st.integers(-4, 3)
KINDS: dict[str, st.SearchStrategy] = {
    "T": tensors(),
    "F": tensors(dtypes=FLOATS),
    "M": tensors([(2, 3), (3, 2), (3, 3), (2, 2, 3), (3,), (), (0, 3)], FLOATS),
    # Matrices for the products, which have no bool kernels and mix integer dtypes.
    "N": tensors([(2, 3), (3, 2), (3, 3), (2, 2, 3), (3,), (), (0, 3)],
                 FLOATS + ["int64", "bool"]),
    "Q": tensors([(3, 3), (2, 3, 3), (2, 3), (3,), (), (0, 0)], ["float32", "float64",
                                                                 "int64"]),
    "I": tensors(dtypes=["int64"] * 4 + ["int32", "float32", "bool"]),
    "B": tensors(dtypes=["bool"] * 4 + ["uint8", "float32"]),
    "X": tensors([(2, 3, 5), (1, 2, 6), (2, 5), (2, 3, 6, 6), (1, 2, 5, 5), (3,), ()], FLOATS),
    "d": _DIMS,
    "D": st.one_of(_DIMS, st.tuples(_DIMS), st.tuples(_DIMS, _DIMS), st.lists(_DIMS,
                                                                              max_size=2)),
    "n": st.integers(-1, 4),
    "k": st.integers(0, 3),
    "s": st.sampled_from([0, 1, -1, 2, 2.5, -0.5, True, False, math.inf]),
    "p": st.sampled_from([0.0, 0.5, 1.0, 0.25, 1.5, -0.1]),
    "z": st.sampled_from([(2, 3), (3,), (), (0,), (-1,), (2, -1), (6,), (1, 6), (3, 2)]),
    "dt": st.builds(DT, st.sampled_from(["float32", "float64", "float16", "int64", "int32",
                                         "bool", "uint8"])),
    "b": st.booleans(),
    "r": st.sampled_from(["mean", "sum", "none", "bad"]),
    "L": st.lists(tensors([(2,), (3,), (2, 3), (3, 3), (), (0,), (1, 3)], FLOATS + ["int64"]),
                  min_size=0, max_size=3),
    "v": st.sampled_from([-1, 0, 1, 2, 3, 4, 5, 6]),
}


def draw_arg(data: Any, kind: str, bad_rate: int = 5) -> Any:
    """A value of `kind`, or (about one time in `bad_rate`) one from the pool of bad ones."""
    if kind.startswith("'"):
        choices = kind.strip("'").split("|")
        return data.draw(st.sampled_from(choices + ["bad"]))
    if data.draw(st.integers(0, bad_rate - 1)) == 0:
        return data.draw(BAD)
    return data.draw(KINDS[kind])


def draw_call(data: Any, name: str, spec: str) -> Call:
    """A call of `name` following `spec`: positional kinds, `?` marks an optional (trailing)
    one, `*k` a run of 1-3 values of kind k, `key=k` a keyword, and for modules the
    constructor's kinds, then `|`, then the call's."""
    ctor_spec, call_spec = spec.split("|") if name.startswith("nn.") else ("", spec)
    ctor, ctor_kw = _draw_args(data, ctor_spec)
    args, kwargs = _draw_args(data, call_spec)
    return Call(name, args, kwargs, ctor, ctor_kw)


def _draw_args(data: Any, spec: str) -> tuple:
    args: list = []
    kwargs: dict = {}
    skipping = False
    for tok in spec.split():
        if "=" in tok:
            key, kind = tok.split("=")
            if data.draw(st.booleans()):
                kwargs[key] = draw_arg(data, kind)
            continue
        if tok.endswith("?"):
            if skipping or data.draw(st.booleans()):
                skipping = True
                continue
            tok = tok[:-1]
        if tok.startswith("*"):
            for _ in range(data.draw(st.integers(1, 3))):
                args.append(draw_arg(data, tok[1:]))
            continue
        args.append(draw_arg(data, tok))
    return tuple(args), kwargs


# ---------------------------------------------------------------- the op table

_UNARY = ("abs acos acosh asin asinh atan atanh ceil cos cosh erf erfc erfinv exp exp2 expm1 "
          "floor frac log log10 log1p log2 neg reciprocal round rsqrt sigmoid sign sgn sin sinh "
          "sqrt square tan tanh trunc fix isfinite isinf isnan isneginf isposinf isreal "
          "bitwise_not logical_not relu nan_to_num clone absolute negative arccos arcsin "
          "arctan").split()
_BINARY = ("add sub mul div true_divide floor_divide remainder fmod pow atan2 hypot maximum "
           "minimum fmax fmin eq ne lt le gt ge greater less equal bitwise_and bitwise_or "
           "bitwise_xor logical_and logical_or logical_xor xlogy float_power rsub "
           "not_equal greater_equal less_equal multiply subtract divide arctan2 "
           "bitwise_left_shift bitwise_right_shift").split()
_REDUCE = "sum mean prod nansum nanmean amax amin logsumexp std var norm count_nonzero".split()

OPS: dict[str, str] = {}
OPS.update({n: "T" for n in _UNARY})
OPS.update({n: "T T" for n in _BINARY})
OPS.update({n: "T D? b?" for n in _REDUCE})
OPS.update({
    "add": "T T alpha=s", "sub": "T T alpha=s", "div": "T T rounding_mode='trunc|floor'",
    "sum": "T D? b? dtype=dt", "prod": "T d? b? dtype=dt", "norm": "T s? D? b?",
    "std": "T D? correction=s keepdim=b", "var": "T D? correction=s keepdim=b",
    "count_nonzero": "T D?", "logsumexp": "T D b?",
    "max": "T d? b?", "min": "T d? b?", "argmax": "T d? b?", "argmin": "T d? b?",
    "median": "T d? b?", "nanmedian": "T d? b?", "mode": "T d? b?", "all": "T d? b?",
    "any": "T d? b?", "aminmax": "T dim=d keepdim=b",
    "kthvalue": "T k d? b?", "topk": "T k d? b?", "sort": "T d? b?", "argsort": "T d? b?",
    "msort": "T", "cumsum": "T d dtype=dt", "cumprod": "T d dtype=dt",
    "softmax": "T d dtype=dt", "log_softmax": "T d dtype=dt",
    "clamp": "T s? s?", "clamp_min": "T s", "clamp_max": "T s", "clip": "T s? s?",
    "lerp": "T T s", "addcmul": "T T T value=s", "addcdiv": "T T T value=s",
    "where": "B T T", "masked_fill": "T B s", "masked_select": "T B",
    "masked_scatter": "T B T", "isclose": "T T", "allclose": "T T",
    "logit": "T p?", "round": "T decimals=n", "nan_to_num": "T s? s? s?",
    "relu": "T", "sigmoid": "T", "tanh": "T",
    # shapes
    "reshape": "T z", "squeeze": "T d?", "unsqueeze": "T d",
    "flatten": "T d? d?", "unflatten": "T d z", "transpose": "T d d", "swapaxes": "T d d",
    "swapdims": "T d d", "permute": "T z", "movedim": "T D D", "moveaxis": "T D D",
    "t": "T", "broadcast_to": "T z", "narrow": "T d n n",
    "select": "T d n", "chunk": "T k d?", "split": "T k d?", "tensor_split": "T k d?",
    "split_with_sizes": "T z d?", "unbind": "T d?", "flip": "T D", "fliplr": "T",
    "flipud": "T", "roll": "T D D?", "repeat_interleave": "T k d?", "tile": "T z",
    "diagonal": "T n? d? d?", "diag": "T n?", "diag_embed": "T n? d? d?", "tril": "T n?",
    "triu": "T n?", "trace": "T", "atleast_1d": "T", "atleast_2d": "T", "atleast_3d": "T",
    "Tensor.contiguous": "T", "numel": "T",
    # joining
    "cat": "L d?", "concat": "L d?", "concatenate": "L d?", "stack": "L d?", "hstack": "L",
    "vstack": "L", "dstack": "L", "column_stack": "L", "broadcast_tensors": "*T",
    # indexing
    "gather": "T d I", "take": "T I", "take_along_dim": "T I d?", "index_select": "T d I",
    "scatter": "T d I T", "scatter_add": "T d I T", "index_add": "T d I T",
    "index_copy": "T d I T", "index_fill": "T d I s", "nonzero": "T", "argwhere": "T",
    "select_scatter": "T T d n", "slice_scatter": "T T d? n? n?",
    "diagonal_scatter": "T T n?", "unique": "T b? b? b?",
    # matrices
    "matmul": "N N", "mm": "N N", "bmm": "N N", "mv": "N N", "dot": "N N", "inner": "N N",
    "outer": "M M", "ger": "M M", "kron": "M M", "cross": "M M d?", "tensordot": "N N n?",
    "addmm": "N N N", "addmv": "N N N", "addbmm": "N N N", "baddbmm": "N N N",
    "matrix_power": "Q n", "det": "Q", "logdet": "Q", "slogdet": "Q", "inverse": "Q",
    "pinverse": "Q", "einsum": "'ij,jk->ik|ii->i|i,i->' *M",
    # creation
    "zeros": "*v dtype=dt", "ones": "*v dtype=dt", "empty": "z? dtype=dt",
    "full": "z s dtype=dt", "arange": "s s? s? dtype=dt", "linspace": "s s n dtype=dt",
    "eye": "n n? dtype=dt", "zeros_like": "T dtype=dt", "ones_like": "T dtype=dt",
    "full_like": "T s dtype=dt", "empty_like": "T dtype=dt", "tensor": "s dtype=dt",
    "scalar_tensor": "s dtype=dt", "as_tensor": "s dtype=dt",
    "rand": "*v dtype=dt", "randn": "*v dtype=dt", "randint": "n n z dtype=dt",
    "randperm": "n dtype=dt", "rand_like": "T dtype=dt", "randn_like": "T dtype=dt",
    "randint_like": "T n n?", "normal": "T T", "bernoulli": "T", "multinomial": "T n b?",
    # dtypes
    "promote_types": "dt dt", "can_cast": "dt dt", "result_type": "T T",
    "is_floating_point": "T", "is_tensor": "T",
    # methods
    "Tensor.view": "T *v", "Tensor.reshape": "T *v", "Tensor.expand": "T *v",
    "Tensor.repeat": "T *v", "Tensor.permute": "T *d", "Tensor.size": "T d?",
    "Tensor.item": "T", "Tensor.tolist": "T", "Tensor.type_as": "T T",
    "Tensor.to": "T dt", "Tensor.new_zeros": "T z", "Tensor.new_full": "T z s",
    "Tensor.new_tensor": "T s", "Tensor.expand_as": "T T", "Tensor.view_as": "T T",
    "Tensor.reshape_as": "T T", "Tensor.detach_": "T", "Tensor.requires_grad_": "T b?",
    "Tensor.fill_": "T s", "Tensor.zero_": "T", "Tensor.copy_": "T T",
    "Tensor.add_": "T T", "Tensor.mul_": "T T", "Tensor.sub_": "T T", "Tensor.div_": "T T",
    "Tensor.clamp_": "T s? s?", "Tensor.masked_fill_": "T B s", "Tensor.exp_": "T",
    "Tensor.sqrt_": "T", "Tensor.relu_": "T", "Tensor.pow_": "T T", "Tensor.abs_": "T",
    "Tensor.index_fill_": "T d I s", "Tensor.scatter_": "T d I T", "Tensor.t": "T",
    "Tensor.uniform_": "T s? s?", "Tensor.normal_": "T s? s?", "Tensor.bernoulli_": "T p?",
    "Tensor.stride": "T d?", "Tensor.dim": "T", "Tensor.float": "T", "Tensor.long": "T",
    "Tensor.__lshift__": "T s", "Tensor.__rshift__": "T s", "Tensor.__getitem__": "T v",
    "Tensor.__matmul__": "N N", "Tensor.__pow__": "T s", "Tensor.__and__": "T T",
    "Tensor.__invert__": "T", "Tensor.__len__": "T", "Tensor.__bool__": "T",
    "Tensor.__float__": "T", "Tensor.__int__": "T", "Tensor.__neg__": "T",
    "Tensor.tril_": "T n?", "Tensor.squeeze": "T d?", "Tensor.unsqueeze": "T d",
    "Tensor.flatten": "T d? d?", "Tensor.sum": "T D? b?", "Tensor.softmax": "T d",
})

_FUN = {
    "relu": "T", "relu6": "T", "elu": "T s?", "selu": "T", "celu": "T s?", "gelu": "T",
    "silu": "T", "mish": "T", "softplus": "T s? s?", "softsign": "T", "tanhshrink": "T",
    "hardtanh": "T s? s?", "hardsigmoid": "T", "hardswish": "T", "hardshrink": "T s?",
    "softshrink": "T s?", "leaky_relu": "T s?", "logsigmoid": "T", "threshold": "T s s",
    "sigmoid": "T", "tanh": "T", "glu": "T d?", "prelu": "T T", "rrelu": "T s? s?",
    "softmax": "T d", "log_softmax": "T d", "softmin": "T d", "gumbel_softmax": "T s? b?",
    "normalize": "T s? d?", "dropout": "T p? b?", "dropout1d": "T p? b?",
    "dropout2d": "T p? b?", "linear": "M M M?", "bilinear": "M M X M?",
    "mse_loss": "T T reduction=r", "l1_loss": "T T reduction=r",
    "smooth_l1_loss": "T T reduction=r beta=s", "huber_loss": "T T reduction=r delta=s",
    "binary_cross_entropy": "T T", "binary_cross_entropy_with_logits": "T T",
    "cross_entropy": "F I reduction=r label_smoothing=p", "nll_loss": "F I reduction=r",
    "kl_div": "T T reduction=r", "poisson_nll_loss": "T T", "gaussian_nll_loss": "T T T",
    "soft_margin_loss": "T T", "margin_ranking_loss": "T T T",
    "hinge_embedding_loss": "T T", "cosine_embedding_loss": "T T T",
    "multilabel_soft_margin_loss": "T T", "triplet_margin_loss": "T T T",
    "cosine_similarity": "T T d?", "pairwise_distance": "T T", "one_hot": "I n?",
    "embedding": "I M", "layer_norm": "T z M? M?", "group_norm": "X k", "batch_norm":
    "X M M M? M? b?", "instance_norm": "X", "conv1d": "X X M? k? k?", "conv2d": "X X M? k? k?",
    "conv_transpose1d": "X X", "conv_transpose2d": "X X", "avg_pool1d": "X k k?",
    "avg_pool2d": "X k k?", "max_pool1d": "X k k?", "max_pool2d": "X k k?",
    "adaptive_avg_pool1d": "X n", "adaptive_avg_pool2d": "X n", "adaptive_max_pool1d": "X n",
    "adaptive_max_pool2d": "X n", "pad": "T z s?", "interpolate": "X n?",
    "pixel_shuffle": "X k", "pixel_unshuffle": "X k", "unfold": "X k", "fold": "X z k",
    "scaled_dot_product_attention": "X X X",
}
OPS.update({f"F.{k}": v for k, v in _FUN.items()})

_MOD = {
    "Linear": "n n |T", "Bilinear": "n n n |T T", "Conv1d": "n n k |X", "Conv2d": "n n k |X",
    "ConvTranspose1d": "n n k |X", "ConvTranspose2d": "n n k |X", "BatchNorm1d": "n |X",
    "BatchNorm2d": "n |X", "LayerNorm": "z |T", "GroupNorm": "k n |X",
    "InstanceNorm1d": "n |X", "Embedding": "n n |I", "EmbeddingBag": "n n |I",
    "Dropout": "p |T", "ReLU": "|T", "Softmax": "d |T", "LogSoftmax": "d |T",
    "Flatten": "d? d? |T", "Unflatten": "d z |T", "MaxPool1d": "k |X", "MaxPool2d": "k |X",
    "AvgPool1d": "k |X", "AvgPool2d": "k |X", "AdaptiveAvgPool2d": "n |X",
    "PixelShuffle": "k |X", "ZeroPad2d": "n |X", "ConstantPad1d": "n s |X",
    "ReflectionPad1d": "n |X", "ReplicationPad1d": "n |X", "Upsample": "n? |X",
    "MSELoss": "|T T", "L1Loss": "|T T", "CrossEntropyLoss": "|F I", "NLLLoss": "|F I",
    "BCELoss": "|T T", "BCEWithLogitsLoss": "|T T", "HuberLoss": "|T T",
    "SmoothL1Loss": "|T T", "KLDivLoss": "|T T", "CosineSimilarity": "d? |T T",
    "PReLU": "n? |T", "ELU": "s? |T", "LeakyReLU": "s? |T", "Hardtanh": "s? s? |T",
    "Threshold": "s s |T", "GLU": "d? |T", "RNN": "n n |X", "LSTM": "n n |X", "GRU": "n n |X",
    "RNNCell": "n n |M", "LSTMCell": "n n |M", "GRUCell": "n n |M",
    "MultiheadAttention": "n k |X X X", "Identity": "|T", "Sigmoid": "|T", "Tanh": "|T",
    "GELU": "|T", "SiLU": "|T", "Softplus": "|T", "CELU": "s? |T", "PairwiseDistance": "|T T",
    "TransformerEncoderLayer": "n k |X",
}
OPS.update({f"nn.{k}": v for k, v in _MOD.items()})

# Ops whose float64 result holds float32 intermediates when a float32 operand meets a
# float64 one, so that it compares at float32's tolerance: cosine similarity divides each
# operand by its own norm, and torch's float32 norm over a last dimension sums 8-lane
# vectors and then the leftover elements in an order its compiler chose (measured against
# torch.linalg.vector_norm: 4 to 7 leftovers match neither a plain nor a fused
# multiply-add loop, 1 to 3 match the fused one), which cannot be reproduced exactly.
FLOAT32_INTERMEDIATES = {"F.cosine_similarity", "nn.CosineSimilarity"}

# Ops whose values are unspecified (uninitialised memory): only shapes and dtypes compare.
UNSPECIFIED = {"empty", "empty_like", "Tensor.new_empty"}

# Ops that torch documents as returning, among equal values, not necessarily the first
# index: (position of their dim argument, its default). Their indices compare by the values
# they pick (integer inputs, drawn from {0, 1}, are full of ties).
TIE_INDICES = {"topk": (2, -1), "kthvalue": (2, -1), "median": (1, None),
               "nanmedian": (1, None), "mode": (1, -1)}


def equal_up_to_ties(call: Call, e: Any, t: Any) -> bool:
    """Whether ember's (values, indices) equal torch's, indices compared by what they pick."""
    import torch

    if not (isinstance(t, tuple) and isinstance(e, tuple) and len(t) == len(e) == 2):
        return False
    if value_difference(e[0], t[0]) or tuple(e[1].shape) != tuple(t[1].shape):
        return False
    pos, default = TIE_INDICES[call.target]
    dim = call.args[pos] if len(call.args) > pos else call.kwargs.get("dim", default)
    x = build(call.args[0], torch)
    ei = torch.from_numpy(e[1].detach().numpy().copy())
    ti = t[1]
    if x.dim() == 0:
        return bool((ei == 0).all())
    if ti.dim() < x.dim():
        ei, ti = ei.unsqueeze(dim), ti.unsqueeze(dim)
    return bool(torch.equal(x.gather(dim, ei), x.gather(dim, ti)))
