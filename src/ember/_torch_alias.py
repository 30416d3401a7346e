"""The `torch` alias: an import hook on sys.meta_path that resolves `torch` and every
`torch.*` module to ember's module of the same path (the same module objects, so that
`torch.nn is ember.nn` and class paths such as `torch.nn.modules.linear.Linear` in pickles
resolve). A torch module ember lacks raises a ModuleNotFoundError naming it, and a package
built on torch raises an ImportError naming it: real torch is never imported behind the
alias."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from typing import Any

__all__ = ["install_as_torch", "TORCH_PACKAGES"]

# Packages built on torch's C++ core, which reach into torch deeper than ember can follow.
TORCH_PACKAGES = frozenset({
    "torchvision", "torchaudio", "torchtext", "torchdata", "torchrec", "torchao", "torchrl",
    "tensordict", "functorch", "transformers", "diffusers", "accelerate", "peft", "timm",
    "lightning", "pytorch_lightning", "lightning_fabric", "torchmetrics", "torch_geometric",
    "sentence_transformers", "fastai", "deepspeed", "xformers", "triton", "bitsandbytes",
    "ignite", "kornia", "monai", "skorch", "captum", "opacus", "botorch", "gpytorch", "pyro",
})

_DOCS = "see ember's docs/migration.md for what ember covers"


def _importing_package() -> str | None:
    """The top-level package of the code running the failed import, when that code is an
    installed package (not the program or its own modules, not ember)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        code = frame.f_code.co_filename
        if not code.startswith("<frozen importlib") and name != __name__ \
                and not name.startswith("importlib"):
            top = name.partition(".")[0]
            installed = any(part in code for part in ("site-packages", "dist-packages"))
            return top if installed and top != "ember" else None
        frame = frame.f_back
    return None


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system an ember module that is already loaded."""

    def __init__(self, module: Any) -> None:
        self.module = module
        self.spec = module.__spec__

    def create_module(self, spec: Any) -> Any:
        return self.module

    def exec_module(self, module: Any) -> None:
        # The import system stamped the alias's spec on the module; it stays ember's.
        module.__spec__ = self.spec


class TorchAliasFinder(importlib.abc.MetaPathFinder):
    """Finds `torch` and `torch.*` in ember, and stops packages built on torch."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        top = fullname.partition(".")[0]
        if top == "torch":
            return importlib.util.spec_from_loader(fullname, _AliasLoader(_ember_module(
                fullname)))
        if top in TORCH_PACKAGES and fullname == top:
            raise ImportError(
                f"{top} is built on torch and cannot run under ember: `torch` is ember here, "
                f"and {top} needs torch's C++ core; run this program with torch itself",
                name=top)
        return None


def _ember_module(fullname: str) -> Any:
    ember_name = "ember" + fullname[len("torch"):]
    try:
        return importlib.import_module(ember_name)
    except ModuleNotFoundError as e:
        missing = e.name or ""
        if missing != ember_name and not ember_name.startswith(missing + "."):
            raise
        torch_name = "torch" + missing[len("ember"):]
        by = _importing_package()
        note = f" (imported by {by}, a package built on torch)" if by else ""
        raise ModuleNotFoundError(f"ember has no {torch_name}{note}: {_DOCS}",
                                  name=fullname) from None


def install_as_torch() -> None:
    """Makes `import torch` and every `import torch.<module>` in this interpreter give
    ember's modules, for notebooks and test suites (`python -m ember` does it for a
    program). Raises RuntimeError when real torch is already imported."""
    # The package this module belongs to, loaded before any of its modules: torch's name
    # goes to it (importing it here would tie the namespace to itself).
    ember = sys.modules[__package__]

    real = [name for name, module in list(sys.modules.items())
            if (name == "torch" or name.startswith("torch.")) and module is not None
            and not (getattr(module, "__name__", "") or "").startswith("ember")]
    if real:
        where = getattr(sys.modules.get(real[0]), "__file__", None) or real[0]
        raise RuntimeError(
            f"install_as_torch(): real torch is already imported ({where}); call it before "
            "anything imports torch, since the modules holding real torch cannot be switched "
            "to ember")
    if not any(isinstance(f, TorchAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TorchAliasFinder())
    sys.modules["torch"] = ember
