"""grad, vjp, jvp, jacrev, jacfwd, hessian and functional_call.

Reverse-mode transforms make their inputs differentiable (a fresh leaf, or an alias that
keeps an enclosing transform's graph), run the function and call autograd.grad; they keep
the graph of their results only when an enclosing transform needs it. Jacobians are one
batched backward (or forward) pass over the rows of an identity matrix, through vmap.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

import numpy as np

from .._tensor import Size, Tensor
from ._dispatch import op
from ._vmap import _flatten_tree, vmap


def _as_tuple(argnums: Any) -> tuple:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _check_argnums(argnums: Any, n: int, name: str) -> None:
    for a in _as_tuple(argnums):
        if not isinstance(a, int):
            raise RuntimeError(f"{name}: Expected argnums to be int or Tuple[int, ...], got: "
                               f"{type(a)}")
        if a < -n or a >= n:
            raise RuntimeError(f"Got argnum={a}, but only {n} positional inputs")


def _dual_active() -> bool:
    from ..autograd import forward_ad

    return forward_ad._current_level[0] >= 0


def _prepare(x: Any) -> Any:
    """A differentiable stand-in for an input of a reverse transform."""
    if not isinstance(x, Tensor):
        raise RuntimeError(f"Expected a Tensor input to differentiate, got {type(x).__name__}")
    from ..autograd import forward_ad

    tangent = forward_ad.get_tangent(x) if _dual_active() else None
    if x.requires_grad:
        xi = op("alias")(x)
    else:
        xi = x.detach().requires_grad_()
        if tangent is not None:
            forward_ad.set_tangent(xi, tangent)
    return xi


def _vjp_core(func: Callable, args: tuple, argnums: Any, has_aux: bool, name: str) -> tuple:
    """Runs func with the argnums inputs made differentiable; returns (output, aux, diff
    leaves, rebuild of the argnums structure, create_graph, whether an enclosing transform
    needs the graph)."""
    from ..autograd.grad_mode import enable_grad

    nums = _as_tuple(argnums)
    _check_argnums(argnums, len(args), name)
    args = list(args)
    leaves_all = []
    builders = []
    nested = False
    for a in nums:
        leaves, build = _flatten_tree(args[a])
        nested = nested or any(isinstance(v, Tensor) and v.requires_grad for v in leaves)
        new = [_prepare(v) for v in leaves]
        args[a] = build(new)
        leaves_all.append(new)
        builders.append(build)
    with enable_grad():
        res = func(*args)
    aux = None
    if has_aux:
        if not (isinstance(res, tuple) and len(res) == 2):
            raise RuntimeError(f"{name}(f, ...)(*args): output of function f should be a tuple:"
                               " (output, aux) if has_aux is True")
        res, aux = res
    create_graph = nested or _dual_active()
    return res, aux, leaves_all, builders, create_graph, nested


def grad_and_value(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """Returns a function to compute a tuple of the gradient and primal, or forward,
    computation."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..autograd._grad_api import grad as autograd_grad

        f = (lambda *a: func(*a, **kwargs)) if kwargs else func
        out, aux, leaves, builders, cg, nested = _vjp_core(f, args, argnums, has_aux,
                                                           "grad_and_value")
        if not isinstance(out, Tensor):
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a Tensor,"
                               f" got {type(out)}")
        if out.dim() != 0:
            raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a scalar "
                               f"Tensor, got tensor with {out.dim()} dims. Maybe you wanted to "
                               "use the vjp or jacrev APIs instead?")
        flat = [v for group in leaves for v in group]
        if out.requires_grad:
            gs = autograd_grad(out, flat, create_graph=cg, retain_graph=cg, allow_unused=True,
                               materialize_grads=True)
        else:
            gs = tuple(op_zeros(v) for v in flat)
        it = iter(gs)
        parts = [b([next(it) for _ in group]) for group, b in zip(leaves, builders)]
        g = parts[0] if isinstance(argnums, int) else tuple(parts)
        if not nested:
            g = _detach_tree(g, False)
        value = _detach_tree(out, nested)
        if has_aux:
            return g, (value, _detach_tree(aux, nested))
        return g, value

    return wrapper


def op_zeros(v: Tensor) -> Tensor:
    """Zeros like v, through the active transforms."""
    return op("zeros_like")(v)


def _detach_tree(x: Any, keep: bool) -> Any:
    if keep:
        return x
    leaves, build = _flatten_tree(x)
    return build([_detach(v) if isinstance(v, Tensor) else v for v in leaves])


def _detach(v: Tensor) -> Tensor:
    """v without its graph; under forward AD a dual stays a dual (with a detached tangent),
    since the graph only served to compute the tangent."""
    from ..autograd import forward_ad

    tan = forward_ad.get_tangent(v) if forward_ad._TANGENTS else None
    d = v.detach()
    if tan is not None:
        forward_ad.set_tangent(d, tan.detach())
    return d


def grad(func: Callable, argnums: Any = 0, has_aux: bool = False) -> Callable:
    """grad operator helps computing gradients of func with respect to the input(s)
    specified by argnums."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        g, value = gv(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return wrapper


def vjp(func: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """Returns (func(*primals), vjp_fn[, aux]): vjp_fn(cotangents) computes the
    vector-Jacobian product with respect to every primal."""
    from ..autograd._grad_api import grad as autograd_grad

    out, aux, leaves, builders, cg, nested = _vjp_core(
        func, primals, tuple(range(len(primals))), has_aux, "vjp")
    out_leaves, _ = _flatten_tree(out)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError("vjp(f, *primals): Expected f to be a function that has only "
                               f"Tensors as outputs but got {type(o)}")
    flat = [v for group in leaves for v in group]

    def vjp_fn(*cotangents: Any) -> tuple:
        cts = cotangents[0] if len(cotangents) == 1 else cotangents
        ct_leaves, _ = _flatten_tree(cts)
        if len(ct_leaves) != len(out_leaves):
            raise RuntimeError("Expected pytree structure of cotangents to be the same as "
                               "pytree structure of outputs to the function.")
        pairs = [(o, c) for o, c in zip(out_leaves, ct_leaves) if o.requires_grad]
        if pairs:
            gs = autograd_grad([o for o, _ in pairs], flat, [c for _, c in pairs],
                               retain_graph=True, create_graph=cg, allow_unused=True,
                               materialize_grads=True)
        else:
            gs = tuple(op_zeros(v) for v in flat)
        it = iter(gs)
        res = tuple(b([next(it) for _ in group]) for group, b in zip(leaves, builders))
        return res if nested else _detach_tree(res, False)

    value = _detach_tree(out, nested)
    if has_aux:
        return value, vjp_fn, _detach_tree(aux, nested)
    return value, vjp_fn


def jvp(func: Callable, primals: Any, tangents: Any, *, strict: bool = False,
        has_aux: bool = False) -> tuple:
    """Returns (func(*primals), the Jacobian of func at primals times tangents)."""
    from ..autograd import forward_ad

    if not isinstance(primals, tuple):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it "
                           "should be valid to call f(*primals).")
    if not isinstance(tangents, tuple) or len(tangents) != len(primals):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have "
                           "the same python structure. For example, if primals is a tuple of "
                           "3 tensors, tangents also must be. Got primals with structure "
                           f"{_struct(primals)} and tangents with structure {_struct(tangents)}")
    p_leaves, p_build = _flatten_tree(primals)
    t_leaves, _ = _flatten_tree(tangents)
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(p, t) for p, t in zip(p_leaves, t_leaves)]
        res = func(*p_build(duals))
        aux = None
        if has_aux:
            res, aux = res
        o_leaves, o_build = _flatten_tree(res)
        prims, tans = [], []
        for o in o_leaves:
            if not isinstance(o, Tensor):
                raise RuntimeError("jvp(f, primals, tangents): Expected f(*primals) to return "
                                   f"only tensors, got unsupported type {type(o)}")
            p, t = forward_ad.unpack_dual(o)
            prims.append(p)
            tans.append(t if t is not None else op_zeros(p))
    if has_aux:
        return o_build(prims), o_build(tans), aux
    return o_build(prims), o_build(tans)


def linearize(func: Callable, *primals: Any) -> tuple:
    """Returns the value of func at primals and linear approximation at primals: a function
    that computes the Jacobian-vector product of func at primals with given tangents."""
    output = func(*primals)
    p_leaves, _ = _flatten_tree(primals)
    shapes = [(tuple(p.shape), p.dtype) for p in p_leaves]
    kinds = _tree_kinds(primals)

    def jvp_fn(*tangents: Any) -> Any:
        if _tree_kinds(tangents) != kinds:
            raise RuntimeError(f"Expected the tangents {_tree_kinds(tangents)} to have the "
                               f"same argspec as the primals {kinds}")
        t_leaves, _ = _flatten_tree(tangents)
        for i, (t, (shape, dtype)) in enumerate(zip(t_leaves, shapes)):
            if tuple(t.shape) != shape:
                raise RuntimeError(f"tangent:{i} with shape {t.shape} in flattened pytree "
                                   f"doesn't match the shape {Size(shape)} of the "
                                   "corresponding primal.")
            if t.dtype != dtype:
                raise RuntimeError(f"tangent:{i} with dtype {t.dtype} in flattened pytree "
                                   f"doesn't match the dtype {dtype} of the corresponding "
                                   "primal.")
        return jvp(func, primals, tangents)[1]

    return output, jvp_fn


def _tree_kinds(x: Any) -> Any:
    """The container structure of a pytree, its leaves left out."""
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, [_tree_kinds(v) for v in x])
    if isinstance(x, dict):
        return ("dict", [(k, _tree_kinds(v)) for k, v in x.items()])
    return "*"


def _struct(x: tuple) -> str:
    return "(" + ", ".join("*" for _ in x) + ")"


def _basis(leaves: list) -> tuple[list, list]:
    """The leaves' sizes, and the identity over all their elements cut into one batch of
    directions per leaf, shaped (total,) + leaf.shape."""
    sizes = [t.numel() for t in leaves]
    total = sum(sizes)
    eye = Tensor._make(np.eye(total, dtype=leaves[0].dtype.np))
    basis = []
    start = 0
    for t, n in zip(leaves, sizes):
        basis.append(op("reshape")(op("narrow")(eye, 1, start, n), (total,) + tuple(t.shape)))
        start += n
    return sizes, basis


def jacrev(func: Callable, argnums: Any = 0, *, has_aux: bool = False,
           chunk_size: int | None = None, _preallocate_and_copy: bool = False) -> Callable:
    """Computes the Jacobian of func with respect to the arg(s) at index argnums using
    reverse-mode autodiff (one batched vector-Jacobian product)."""

    def wrapper(*args: Any) -> Any:
        nums = _as_tuple(argnums)
        _check_argnums(argnums, len(args), "jacrev")
        inner = _select_args(func, args, nums)
        vj = vjp(inner, *[args[a] for a in nums], has_aux=has_aux)
        out, vjp_fn = vj[0], vj[1]
        o_leaves, o_build = _flatten_tree(out)
        sizes, basis = _basis(o_leaves)
        cts = o_build(basis)
        grads = vmap(vjp_fn, chunk_size=chunk_size)(cts)
        in_leaves = [_flatten_tree(args[a]) for a in nums]
        rows_per_out = []
        start = 0
        for o, n in zip(o_leaves, sizes):
            per_arg = []
            for (leaves, build), g in zip(in_leaves, grads):
                g_leaves, _ = _flatten_tree(g)
                per_arg.append(build([
                    op("reshape")(op("narrow")(gl, 0, start, n),
                                  tuple(o.shape) + tuple(lv.shape))
                    for gl, lv in zip(g_leaves, leaves)]))
            rows_per_out.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
            start += n
        result = o_build(rows_per_out)
        if has_aux:
            return result, vj[2]
        return result

    return wrapper


def _select_args(func: Callable, args: tuple, nums: tuple) -> Callable:
    def inner(*diff: Any) -> Any:
        full = list(args)
        for a, v in zip(nums, diff):
            full[a] = v
        return func(*full)

    return inner


def jacfwd(func: Callable, argnums: Any = 0, has_aux: bool = False, *,
           randomness: str = "error") -> Callable:
    """Computes the Jacobian of func with respect to the arg(s) at index argnums using
    forward-mode autodiff (one batched Jacobian-vector product)."""

    def wrapper(*args: Any) -> Any:
        nums = _as_tuple(argnums)
        _check_argnums(argnums, len(args), "jacfwd")
        inner = _select_args(func, args, nums)
        primals = tuple(args[a] for a in nums)
        p_leaves, p_build = _flatten_tree(primals)
        sizes, basis = _basis(p_leaves)

        def push(*ts: Any) -> Any:
            r = jvp(inner, primals, p_build(list(ts)), has_aux=has_aux)
            return (r[1], r[2]) if has_aux else r[1]

        res = vmap(push)(*basis)
        tan = res[0] if has_aux else res
        o_leaves, o_build = _flatten_tree(tan)
        outs = []
        for t in o_leaves:
            oshape = tuple(t.shape)[1:]
            moved = op("movedim")(t, 0, -1) if t.dim() > 1 else t
            per_arg = []
            start = 0
            for p, n in zip(p_leaves, sizes):
                piece = op("narrow")(moved, -1, start, n)
                per_arg.append(op("reshape")(piece, oshape + tuple(p.shape)))
                start += n
            groups = []
            k = 0
            for a in nums:
                lv, b = _flatten_tree(args[a])
                groups.append(b(per_arg[k:k + len(lv)]))
                k += len(lv)
            outs.append(groups[0] if isinstance(argnums, int) else tuple(groups))
        result = o_build(outs)
        if has_aux:
            aux = res[1]
            return result, _first_of_batch(aux)
        return result

    return wrapper


def _first_of_batch(aux: Any) -> Any:
    leaves, build = _flatten_tree(aux)
    return build([op("select")(v, 0, 0) if isinstance(v, Tensor) else v for v in leaves])


def hessian(func: Callable, argnums: Any = 0) -> Callable:
    """Computes the Hessian of func with respect to the arg(s) at index argnums, by
    forward-mode over reverse-mode AD."""
    return jacfwd(jacrev(func, argnums), argnums)


def functional_call(module: Any, parameter_and_buffer_dicts: Any, args: Any = None,
                    kwargs: dict | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """Performs a functional call on the module by replacing the module parameters and
    buffers with the provided ones."""
    if isinstance(parameter_and_buffer_dicts, dict):
        values = dict(parameter_and_buffer_dicts)
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be "
                             "dictionaries")
        counts: dict = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of "
                             "functional call is ambiguous")
        values = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple "
                         f"of dicts, but got {type(parameter_and_buffer_dicts)}")
    if tie_weights:
        values = _tie(module, values)
    if strict:
        # Every name of every tensor, tied ones included.
        expected = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
            {n for n, _ in module.named_buffers(remove_duplicate=False)}
        missing = sorted(expected - set(values))
        unexpected = sorted(set(values) - expected)
        parts = []
        if unexpected:
            parts.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            parts.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if parts:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t"
                               + "\n\t".join(parts))
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    saved = []
    try:
        for name, value in values.items():
            saved.append(_swap(module, name, value))
        return module(*args, **(kwargs or {}))
    finally:
        for owner, attr, where, old in reversed(saved):
            _restore(owner, attr, where, old)


def _tie(module: Any, values: dict) -> dict:
    """Tied tensors (one tensor under several names) all take the value given for any of
    their names; different values for one tied tensor are an error."""
    names: dict = {}
    for n, t in itertools.chain(module.named_parameters(remove_duplicate=False),
                                module.named_buffers(remove_duplicate=False)):
        names.setdefault(id(t), set()).add(n)
    out = dict(values)
    for tied in names.values():
        given = [n for n in tied if n in values]
        if len(tied) < 2 or not given:
            continue
        if len({id(values[n]) for n in given}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied)}, "
                             "which are tied. Consider using tie_weights=False")
        for n in tied:
            out[n] = values[given[0]]
    return out


def _swap(module: Any, name: str, value: Any) -> tuple:
    *path, attr = name.split(".")
    owner = module
    for p in path:
        owner = getattr(owner, p)
    for where in ("_parameters", "_buffers"):
        d = getattr(owner, where, None)
        if isinstance(d, dict) and attr in d:
            old = d[attr]
            d[attr] = value
            return owner, attr, where, old
    old = getattr(owner, attr, None)
    object.__setattr__(owner, attr, value)
    return owner, attr, None, old


def _restore(owner: Any, attr: str, where: Any, old: Any) -> None:
    if where is None:
        object.__setattr__(owner, attr, old)
    else:
        getattr(owner, where)[attr] = old


def stack_module_state(models: Any) -> tuple:
    """stack_module_state(models) -> params, buffers

    Prepares a list of torch.nn.Modules for ensembling with vmap: returns two dictionaries
    that stack all of their parameters and buffers together, indexed by name. The stacked
    parameters are new leaf nodes, unrelated to the original parameters."""
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError(
            "stack_module_state: Expected all models to have the same training/eval mode.")
    if not all(type(m) is type(models[0]) for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    params = {k: _stacked_leaf([p[k] for p in all_params], k) for k in all_params[0]}
    all_buffers = [dict(m.named_buffers()) for m in models]
    buffers = {k: _stacked_leaf([b[k] for b in all_buffers], k) for k in all_buffers[0]}
    return params, buffers


def _stacked_leaf(tensors: list, name: str) -> Tensor:
    from ..ops.joining import stack

    flags = {t.requires_grad for t in tensors}
    if len(flags) > 1:
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    result = stack(tensors)
    if True in flags:
        result = result.detach().requires_grad_()
    return result
