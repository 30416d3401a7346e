"""Names of a package that load on first access (PEP 562), so that `import ember` does not
pay for the submodules a program never uses."""

from __future__ import annotations

import importlib
from typing import Any, Callable


def lazy_names(package: str, namespace: dict, names: dict[str, str]) -> tuple[
        Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level `__getattr__` and `__dir__` of `package`, whose globals are
    `namespace`: each key of `names` resolves on first access to the relative module its
    value names (".viz"), or to one attribute of it (".serialization:load"), and stays in
    the namespace from then on."""

    def __getattr__(name: str) -> Any:
        target = names.get(name)
        if target is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        path, _, attr = target.partition(":")
        module = importlib.import_module(path, package)
        value = getattr(module, attr) if attr else module
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
