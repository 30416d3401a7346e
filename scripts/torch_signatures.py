"""Writes src/ember/_signatures.py: torch's argument-parser signatures of the functions,
torch.linalg functions and Tensor methods ember exposes, of the torch._C._nn functions that
torch.nn.functional calls, and of the torch.special functions ember.special has.


torch's Python bindings are generated from ATen's native_functions.yaml by torchgen, which
ships with torch: this script runs the same steps (filtering, grouping and ordering of
overloads, deprecated signatures) and writes the strings torch compiles into its parsers.
The few parsers torch writes by hand are listed in MANUAL; tests/test_arg_parser.py checks
the table against torch's own error messages.

Run from the repository root: `PYTHONPATH=src python scripts/torch_signatures.py`
(`--check` exits with 1 when the file differs from what would be written).
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
from types import BuiltinFunctionType as BuiltinFunction
from types import FunctionType
from types import MethodDescriptorType as MethodDescriptor

import torchgen
from torchgen.gen import parse_native_yaml
from torchgen.packaged.autograd import gen_python_functions as gpf

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "ember", "_signatures.py")

# Parsers torch writes by hand (python_variable_methods.cpp, python_torch_functions_manual.cpp).
# Methods torch writes in Python that hand their arguments to the C method unchanged.
PASS_THROUGH_METHODS = {"unflatten"}
MANUAL_FUNCTIONS = {
    "numel": ["numel(Tensor input)"],
    "nonzero": ["nonzero(Tensor input, *, bool as_tuple=False, Tensor out=None)"],
    "tensor": ["tensor(PyObject* data, *, ScalarType dtype=None, Device? device=None, "
               "bool pin_memory=False, bool requires_grad=False, DimnameList? names=None)"],
    "as_tensor": ["as_tensor(PyObject* data, *, ScalarType dtype=None, Device? device=None)"],
}
MANUAL_METHODS = {
    "copy_": ["copy_(Tensor other, bool non_blocking=False)",
              "copy_(Tensor other, bool async=False)|deprecated"],
    "requires_grad_": ["requires_grad_(bool requires_grad=True)"],
    "size": ["size(int64_t? dim=None)"],
    "stride": ["stride(int64_t? dim=None)"],
}


def _tables() -> tuple:
    base = os.path.join(os.path.dirname(torchgen.__file__), "packaged")
    native = parse_native_yaml(os.path.join(base, "ATen", "native", "native_functions.yaml"),
                               os.path.join(base, "ATen", "native", "tags.yaml"))
    fns = [f for f in native.native_functions if gpf.should_generate_py_binding(f)]
    deprecated = os.path.join(base, "autograd", "deprecated.yaml")

    def table(method: bool, pred: object) -> dict:
        pairs = gpf.load_signatures(fns, deprecated, method=method)
        grouped = gpf.group_filter_overloads(pairs, pred)
        return {str(name): [o.signature.signature_str(symint=True)
                            for o in gpf.group_overloads(ov, symint=True)]
                for name, ov in grouped.items()}

    functions = table(False, gpf.is_py_torch_function)
    linalg = table(False, gpf.is_py_linalg_function)
    # torch.norm calls torch.linalg.vector_norm, whose parser names it linalg_vector_norm.
    functions["linalg_vector_norm"] = linalg["linalg_vector_norm"]
    return (functions, table(True, gpf.is_py_variable_method), table(False, gpf.is_py_nn_function),
            linalg, table(False, gpf.is_py_special_function))



def _native_call(fn: object, names: dict) -> tuple | None:
    """How the Python function `fn` of torch.nn.functional calls its native op: (native
    name, table, positional arguments, keyword arguments, whether fn looks at any of its
    parameters before the call), each argument the name of one of
    fn's own parameters, or None where fn passes something else or looks at the parameter
    before the call (torch's Python code then decides what a wrong value raises);
    a parameter replaced only when it is None is marked with a leading '?'."""
    cells = [c.cell_contents for c in fn.__closure__ or ()]
    inner = [c for c in cells if callable(c) and getattr(c, "__name__", "") == "_" + fn.__name__]
    if inner:  # boolean_dispatch: the variant without indices
        fn = inner[0]
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError):
        return None
    func = tree.body[0]
    params = [a.arg for a in func.args.args + func.args.kwonlyargs]
    calls = []
    for idx, stmt in enumerate(func.body):
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            target = ast.unparse(node.func)
            for prefix, table in (("torch._C._nn.", "NN"), ("torch.", "FUNCTIONS"),
                                  ("_VF.", "FUNCTIONS"), ("input.", "METHODS")):
                native = target[len(prefix):]
                # A method call stands for the function only when it is the op itself
                # (input.softmax(dim)), not a helper such as input.size().
                if target.startswith(prefix) and native in names[table] and \
                        not native.endswith("_") and (table != "METHODS" or
                                                      native == fn.__name__.lstrip("_")):
                    calls.append((idx, node, native, table))
                    break
    if not calls or len({c[2] for c in calls}) > 1:
        return None
    idx, node, native, table = max(calls, key=lambda c: len(c[1].args) + len(c[1].keywords))
    # Parameters that the function replaces when they are None (and only there, or in
    # the branch for other values) are checked unless None; others it replaces, not at all.
    replaced, rebound = set(), set()
    for stmt in func.body[:idx]:
        for n in ast.walk(stmt):
            if isinstance(n, ast.If) and _none_test(n.test) and not isinstance(n.test, ast.BoolOp):
                for m in ast.walk(n):
                    if isinstance(m, ast.Name) and isinstance(m.ctx, ast.Store) and \
                            m.id == n.test.left.id:
                        replaced.add(m.id)
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                rebound.add(n.id)
    rebound -= replaced
    defaults = func.args.defaults
    nones = {a.arg for a, d in zip(func.args.args[len(func.args.args) - len(defaults):], defaults)
             if isinstance(d, ast.Constant) and d.value is None}
    nones |= {a.arg for a, d in zip(func.args.kwonlyargs, func.args.kw_defaults)
              if isinstance(d, ast.Constant) and d.value is None}
    looked_at = {p for p in params if _loaded_elsewhere(func.body[:idx], p, nones)}

    def arg(a: ast.AST) -> str | None:
        if isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and len(a.args) == 1 and \
                a.func.id in _NTUPLES:
            inner = arg(a.args[0])
            return f"{_NTUPLES[a.func.id]}:{inner}" if inner and inner[0] != "?" else None
        # A parameter looked at before the call is still checked: the check then runs after
        # the function's own code (see bind_functional), as torch's parser does.
        if not isinstance(a, ast.Name) or a.id not in params or a.id in rebound:
            return None
        return "?" + a.id if a.id in replaced else a.id

    if table == "METHODS" and not (isinstance(node.func, ast.Attribute) and
                                   ast.unparse(node.func.value) == "input"):
        return None
    pos = tuple(arg(a) for a in node.args)
    kw = tuple((k.arg, arg(k.value)) for k in node.keywords)
    # An argument that the call computes from a parameter (`_Reduction.get_enum(reduction)`)
    # is evaluated before the native op's parser sees any argument: that code raises first.
    computed = [a for a, s in zip([*node.args, *(k.value for k in node.keywords)],
                                  [*pos, *(s for _, s in kw)]) if s is None]
    looked_at |= {n.id for a in computed for n in ast.walk(a)
                  if isinstance(n, ast.Name) and n.id in params and isinstance(a, ast.Call)}
    return native, table, pos, kw, bool(looked_at)


# torch.nn.modules.utils' tuple makers: a value that is not iterable is repeated n times.
_NTUPLES = {"_single": 1, "_pair": 2, "_triple": 3}


def _none_test(test: ast.AST) -> bool:
    """Whether an if-test only compares names with None (`x is None or y is not None`)."""
    if isinstance(test, ast.BoolOp):
        return all(_none_test(v) for v in test.values)
    return isinstance(test, ast.Compare) and len(test.ops) == 1 and \
        isinstance(test.ops[0], (ast.Is, ast.IsNot)) and isinstance(test.left, ast.Name) and \
        ast.unparse(test.comparators[0]) == "None"


def _default_truth(test: ast.AST, nones: set) -> bool | None:
    """The value of a None test under torch's defaults, when every name it tests defaults
    to None (`size_average is not None or reduce is not None` is False); else None."""
    if isinstance(test, ast.BoolOp):
        values = [_default_truth(v, nones) for v in test.values]
        if None in values:
            return None
        return all(values) if isinstance(test.op, ast.And) else any(values)
    if test.left.id not in nones:
        return None
    return isinstance(test.ops[0], ast.Is)


def _loaded_elsewhere(stmts: list, name: str, nones: set) -> bool:
    """Whether `name` is read in `stmts` where reading it may raise (not in torch-function
    dispatch, nor on a path that torch's defaults do not take)."""
    skip = set()
    for stmt in stmts:
        for n in ast.walk(stmt):
            taken = _default_truth(n.test, nones) if isinstance(n, ast.If) and \
                _none_test(n.test) else None
            if taken is not None:
                # The branch that torch's defaults do not take (`if size_average is not
                # None ... else: get_enum(reduction)` takes the else).
                for m in n.orelse if taken else n.body:
                    skip.update(id(k) for k in ast.walk(m))
                skip.add(id(n.test))
                skip.update(id(k) for k in ast.walk(n.test))
            # Paths taken only off torch's defaults: non-default None arguments, in-place
            # variants (`if inplace:`), scripting and deterministic-algorithm settings.
            elif isinstance(n, ast.If) and (_none_test(n.test) or isinstance(n.test, ast.Name)
                                            or "is_scripting" in ast.unparse(n.test)
                                            or "deterministic" in ast.unparse(n.test)) or \
                    isinstance(n, ast.stmt) and "torch_function" in ast.unparse(n):
                skip.update(id(m) for m in ast.walk(n))
            elif isinstance(n, ast.Assign) and isinstance(n.value, ast.Name):
                skip.add(id(n.value))  # `ret = input` cannot raise
    for stmt in stmts:
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load) and \
                    id(n) not in skip:
                return True
    return False


def _functional(functions: dict, methods: dict, nn: dict) -> dict:
    """For each function of torch.nn.functional that ember has: the native op it is, or
    how it calls one (see `_native_call`)."""
    import torch.nn.functional as tf

    import ember.nn.functional as ef

    names = {"NN": nn, "FUNCTIONS": functions, "METHODS": methods}
    out = {}
    for name in sorted(dir(ef)):
        fn = getattr(tf, name, None)
        if name.startswith("_") or not isinstance(fn, (BuiltinFunction, FunctionType)):
            continue
        if isinstance(fn, BuiltinFunction):
            table = "NN" if getattr(fn, "__module__", None) == "torch._C._nn" else "FUNCTIONS"
            if fn.__name__ in names[table]:
                out[name] = (fn.__name__, table, None, None, False,
                             tuple(names[table][fn.__name__]))
            continue
        call = _native_call(fn, names)
        if call is not None:
            out[name] = call + (tuple(names[call[1]][call[0]]),)
    return out


def render() -> str:
    import torch

    import ember

    functions, methods, nn, linalg, special = _tables()

    functions.update(MANUAL_FUNCTIONS)
    methods.update(MANUAL_METHODS)
    # Only the ops torch binds in C: those torch defines in Python (torch.unique,
    # Tensor.split, ...) check their arguments with the signatures of what they call.
    exposed = {k for k in dir(ember) if isinstance(getattr(torch, k, None), BuiltinFunction)}
    # What torch's Python functions call (ember._arg_parser.PYTHON_FUNCTIONS).
    exposed |= {"_unique2", "unique_dim", "split", "split_with_sizes", "einsum",
                "broadcast_tensors", "atleast_1d", "atleast_2d", "atleast_3d",
                "linalg_vector_norm", "chain_matmul", "_lu_with_info"}
    fn_table = {k: tuple(v) for k, v in sorted(functions.items()) if k in exposed}
    meth_table = {k: tuple(v) for k, v in sorted(methods.items())
                  if hasattr(ember.Tensor, k) and (k in PASS_THROUGH_METHODS or isinstance(
                      getattr(torch.Tensor, k, None), MethodDescriptor))}
    nn_table = {k: tuple(v) for k, v in sorted(nn.items())}
    # torch.linalg.X, whose parsers name it linalg_X.
    linalg_table = {k: tuple(v) for k, v in sorted(linalg.items())
                    if hasattr(ember.linalg, k[len("linalg_"):]) and isinstance(
                        getattr(torch.linalg, k[len("linalg_"):], None), BuiltinFunction)}
    import ember.special

    special_table = {k: tuple(v) for k, v in sorted(special.items())
                     if k.removeprefix("special_") in ember.special.__all__}
    functional = _functional(functions, methods, nn)
    body = []
    for title, table in (("FUNCTIONS", fn_table), ("METHODS", meth_table), ("NN", nn_table),
                         ("LINALG", linalg_table), ("SPECIAL", special_table)):

        lines = [f"{title} = {{"]
        for name, sigs in table.items():
            lines.append(f"    {name!r}: (")
            lines += [f"        {s!r}," for s in sigs]
            lines.append("    ),")
        body.append("\n".join(lines) + "\n}\n")
    lines = ["# torch.nn.functional: (native op, its table, positional and keyword arguments as",
             "# the names of the function's parameters (None: not checked; '?': not checked",
             "# when None), whether it looks at its arguments before (then torch's Python code",
             "# raises first, and the check runs after a call that succeeds), the native's",
             "# signatures). A native function itself has None, None.",
             "FUNCTIONAL = {"]
    for name, (native, table, pos, kw, early, sigs) in functional.items():
        lines.append(f"    {name!r}: ({native!r}, {table!r}, {pos!r}, {kw!r}, {early!r}, (")
        lines += [f"        {s!r}," for s in sigs]
        lines.append("    )),")
    body.append("\n".join(lines) + "\n}\n")
    return ('"""torch\'s argument-parser signatures (torch.*, Tensor methods, torch._C._nn and\n'
            "torch.linalg, torch._C._special), as torch compiles them into its parsers.\n"
            "Generated by scripts/torch_signatures.py from torch's own native_functions.yaml: "
            "do not edit.\"\"\"\n\n"

            "# ruff: noqa: E501\n" + "\n".join(body))


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        with open(OUT) as f:
            return 0 if f.read() == text else 1
    with open(OUT, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
