"""ember's modules import only downward, through the layers docs/architecture.md draws, and
no import circle joins them: every import counts, those inside functions included."""

from __future__ import annotations

import ast
import pathlib

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"

# The layers, bottom first; a module may import its own layer and those below.
LAYERS = ("base", "tensor", "op core", "op families", "dispatch", "autograd api",
          "libraries", "namespace")

# module -> layer; a key ending in ".*" places a package and everything under it, and the
# longest key that matches a module places it.
LAYER_OF = {
    # dtypes, version counters, numeric kernels on arrays: nothing of ember above them.
    "ember._dtypes": "base",
    "ember._formats": "base",
    "ember._type_info": "base",
    "ember._version": "base",
    "ember._quiet": "base",
    "ember._lazy": "base",
    "ember._random_math": "base",
    "ember.return_types": "base",
    "ember.version": "base",
    "ember.torch_version": "base",
    "ember.ops._gamma": "base",
    "ember.ops._sleef": "base",
    "ember.ops._onednn": "base",
    "ember.ops._ranges": "base",
    "ember.ops._special": "base",
    "ember.ops._stdsort": "base",
    "ember.ops._cascade": "base",
    "ember._dims": "base",
    "ember._transform_hooks": "base",
    "ember._signatures": "base",
    # Tensor and the graph it records into: nodes, the engine, grad and anomaly modes,
    # saved-tensor hooks, the generator and the process-wide settings.
    "ember._tensor": "tensor",
    "ember._printing": "tensor",
    "ember._settings": "tensor",
    "ember._random": "tensor",
    "ember.autograd.graph": "tensor",
    "ember.autograd.engine": "tensor",
    "ember.autograd.grad_mode": "tensor",
    "ember.autograd.anomaly_mode": "tensor",
    "ember.autograd._cuts": "tensor",
    "ember.autograd._introspect": "tensor",
    "ember.autograd._grad_api": "tensor",
    "ember.backends.*": "tensor",
    # Recording a node, the two math namespaces of the formulas, torch's argument parser
    # that op entries pass through.
    "ember.ops._core": "op core",
    "ember.ops._math": "op core",
    "ember._arg_parser": "op core",
    # The derivative table, by family, and its binding to Tensor methods and operators.
    "ember.ops.*": "op families",
    "ember.linalg": "op families",
    "ember.special": "op families",
    "ember._legacy_types": "op families",
    "ember.random": "op families",
    # The transform-aware ops by name, for the transforms' rules.
    "ember.func._dispatch": "dispatch",
    # Public autograd API and the function transforms (vmap, forward-mode AD).
    "ember.autograd.*": "autograd api",
    "ember.func.*": "autograd api",
    # Libraries built on ops: modules, optimizers, data, distributions, files, devices.
    "ember.nn.*": "libraries",
    "ember.optim.*": "libraries",
    "ember.utils.*": "libraries",
    "ember.distributions.*": "libraries",
    "ember.testing.*": "libraries",
    "ember.serialization.*": "libraries",
    "ember.amp.*": "libraries",
    "ember.cpu.*": "libraries",
    "ember.cuda.*": "libraries",
    "ember.accelerator": "libraries",
    "ember.mps": "libraries",
    "ember.hub": "libraries",
    "ember.jit": "libraries",
    "ember.onnx": "libraries",
    "ember.viz.*": "libraries",
    "ember._compile.*": "libraries",
    "ember.compiler": "libraries",
    # The torch-like namespace and what stands on all of it.
    "ember": "namespace",
    "ember.__main__": "namespace",
    "ember._torch_alias": "namespace",
    "ember.demo": "namespace",
    "ember.tutorial": "namespace",
}


def _modules() -> dict:
    """name -> (path, is_package) for every module of ember."""
    found = {}
    for path in sorted((SRC / "ember").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules()


def layer_of(module: str) -> str | None:
    best = None
    for key, layer in LAYER_OF.items():
        prefix = key[:-2] if key.endswith(".*") else None
        hit = module == key or (prefix is not None and (
            module == prefix or module.startswith(prefix + ".")))
        if hit and (best is None or len(key) > len(best[0])):
            best = (key, layer)
    return None if best is None else best[1]


def _package_of(module: str, is_package: bool) -> list:
    parts = module.split(".")
    return parts if is_package else parts[:-1]


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = _package_of(module, is_package)
    if node.level > 1:
        parts = parts[:len(parts) - node.level + 1]
    return ".".join(parts + ([node.module] if node.module else []))


def _known(name: str) -> str | None:
    # `import ember.x.y` names a module; an attribute path falls back to its module.
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _named_modules(node: ast.AST, module: str, is_package: bool) -> list:
    """The modules one node imports: import statements; the tables of `_lazy.lazy_names`
    (".viz", ".serialization:load", relative to the package); `importlib.import_module`
    with a name that starts as ember's."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "ember"]
    if isinstance(node, ast.ImportFrom):
        base = _resolve(module, is_package, node)
        if base.split(".")[0] != "ember":
            return []
        return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                for a in node.names]
    if not isinstance(node, ast.Call):
        return []
    name = node.func.attr if isinstance(node.func, ast.Attribute) else \
        getattr(node.func, "id", "")
    if name.endswith("lazy_names") and len(node.args) == 3 and \
            isinstance(node.args[2], ast.Dict):
        package = ".".join(_package_of(module, is_package))
        return [package + v.value.partition(":")[0] for v in node.args[2].values
                if isinstance(v, ast.Constant) and isinstance(v.value, str)]
    if name == "import_module" and node.args:
        arg = node.args[0]
        if isinstance(arg, ast.JoinedStr) and arg.values:
            arg = arg.values[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and \
                arg.value.split(".")[0] == "ember":
            return [arg.value.rstrip(".")]
    return []


def imports_in(source: str, module: str, is_package: bool = False) -> list:
    """(imported module, line) for every import in source, wherever it stands (inside
    functions and `if TYPE_CHECKING:` blocks too): `from . import x` counts as importing x
    where x is a submodule."""
    out = []
    for node in ast.walk(ast.parse(source)):
        for name in _named_modules(node, module, is_package):
            target = _known(name)
            if target is not None and target != module:
                out.append((target, node.lineno))
    return out


def imports_of(module: str) -> list:
    path, is_package = MODULES[module]
    return imports_in(path.read_text(), module, is_package)


def test_every_module_has_a_layer():
    assert [m for m in MODULES if layer_of(m) is None] == []


def test_layers_are_drawn_in_the_architecture_page():
    page = (SRC.parent / "docs" / "architecture.md").read_text()
    assert [layer for layer in LAYERS if f"[{layer}]" not in page] == []


def test_imports_point_down():
    rank = {layer: i for i, layer in enumerate(LAYERS)}
    upward = []
    for module in MODULES:
        mine = rank[layer_of(module)]
        for target, line in imports_of(module):
            if rank[layer_of(target)] > mine:
                upward.append(f"{module}:{line} imports {target} "
                              f"({layer_of(module)} -> {layer_of(target)})")
    assert upward == []


def _cycles(edges: dict) -> list:
    """The strongly connected components of more than one module (Tarjan's, iterative)."""
    index: dict = {}
    low: dict = {}
    stack: list = []
    on_stack: set = set()
    found = []
    for root in sorted(edges):
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(sorted(edges[root])))]
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_import_cycle():
    edges = {m: {t for t, _ in imports_of(m)} for m in MODULES}
    assert _cycles(edges) == []


def test_the_checks_see_every_kind_of_import():
    source = """
from . import graph, not_a_module
from .. import _tensor
import ember.ops.shape
def f():
    from ..ops._core import wrap
    import importlib
    return importlib.import_module(f"ember.nn.{wrap}")
if TYPE_CHECKING:
    from ember.viz import _dot
__getattr__, __dir__ = _lazy_names(__name__, globals(), {"x": ".explain:explain"})
"""
    found = sorted(imports_in(source, "ember.autograd.engine"))
    assert found == [("ember._tensor", 3), ("ember.autograd", 2), ("ember.autograd.explain", 11),
                     ("ember.autograd.graph", 2), ("ember.nn", 8), ("ember.ops._core", 6),
                     ("ember.ops.shape", 4), ("ember.viz._dot", 10)]
    assert sorted(imports_in("from .shape import view", "ember.ops", is_package=True)) == [
        ("ember.ops.shape", 1)]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
