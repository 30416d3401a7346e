"""Module: the base class of every layer and model, as torch.nn.Module."""

from __future__ import annotations

import functools
import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Iterator, Mapping
from typing import Any, Callable

import numpy as np

from ..._tensor import Tensor, is_meta_device, meta_array
from ..._version import bump_version, shared_counter
from ...autograd.grad_mode import no_grad
from ...ops._core import attach_outputs, needs_grad, node_class
from ...ops.creation import foreign_array, from_numpy
from ..parameter import Buffer, Parameter

__all__ = ["Module"]


def typename(obj: Any) -> str:
    """torch.typename: the type name torch prints in its messages."""
    if isinstance(obj, Tensor):
        return "torch." + obj.dtype._legacy + "Tensor"
    module = type(obj).__module__
    if module in ("builtins", "__builtin__", None):
        return type(obj).__qualname__
    return module.replace("ember", "torch") + "." + type(obj).__qualname__


def _addindent(s: str, spaces: int) -> str:
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(spaces * " " + line for line in lines)


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


_hook_ids = itertools.count()


def _add(hooks: dict, fn: Callable, prepend: bool = False) -> _Handle:
    handle = _Handle(hooks)
    if prepend:
        items = list(hooks.items())
        hooks.clear()
        hooks[handle.id] = fn
        hooks.update(items)
    else:
        hooks[handle.id] = fn
    return handle


class _Handle:
    """Removes a module hook from the registry it was added to."""

    def __init__(self, hooks: dict, extra: dict | None = None) -> None:
        self.hooks_dict = hooks
        self.id = next(_hook_ids)
        self.extra = extra

    def remove(self) -> None:
        self.hooks_dict.pop(self.id, None)
        if self.extra is not None:
            self.extra.pop(self.id, None)

    def __enter__(self) -> _Handle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()



class Module:
    """Base class for all neural network modules. Modules contain parameters, buffers and
    other modules, registered by assigning them as attributes."""

    training: bool
    dump_patches = False
    call_super_init = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword "
                            f"argument '{next(iter(kwargs))}'")
        if args:
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but "
                            f"{len(args) + 1} were given")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_hooks"] = {}
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}
        d["_forward_pre_hooks"] = {}
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_backward_hooks"] = {}
        d["_backward_pre_hooks"] = {}
        d["_state_dict_hooks"] = {}
        d["_load_state_dict_pre_hooks"] = {}

    forward: Callable[..., Any]

    def _forward_unimplemented(self, *input: Any) -> None:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function')

    forward = _forward_unimplemented

    # -- registration ---------------------------------------------------------------------

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a buffer to the module: state that is not a parameter (such as BatchNorm's
        running_mean), saved in the state dict unless persistent is False."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        if isinstance(tensor, Buffer):
            tensor = Tensor._make(tensor._data)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter to the module."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"parameter name should be a string. Got {typename(name)}")
        if "." in name:
            raise KeyError('parameter name can\'t contain "."')
        if name == "":
            raise KeyError('parameter name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param._fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method.")
        self._parameters[name] = param

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a child module to the current module, accessible as an attribute."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{typename(module)} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {typename(name)}")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target: str) -> Module:
        """Returns the submodule given by the dotted path target."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """Returns the parameter given by the dotted path target."""
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    # -- attribute protocol -----------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__
        if "_parameters" in d and name in d["_parameters"]:
            return d["_parameters"][name]
        if "_buffers" in d and name in d["_buffers"]:
            return d["_buffers"][name]
        if "_modules" in d and name in d["_modules"]:
            return d["_modules"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._drop(name, d["_buffers"], d["_modules"], d["_non_persistent_buffers_set"])
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        else:
            modules = d.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                self._drop(name, d["_parameters"], d["_buffers"],
                           d["_non_persistent_buffers_set"])
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(f"cannot assign '{typename(value)}' as child module "
                                    f"'{name}' (torch.nn.Module or None expected)")
                modules[name] = value
            else:
                buffers = d.get("_buffers")
                if isinstance(value, Buffer) or (buffers is not None and name in buffers):
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(f"cannot assign '{typename(value)}' as buffer '{name}' "
                                        "(torch.nn.Buffer, torch.Tensor or None expected)")
                    if isinstance(value, Buffer):
                        persistent = value.persistent
                    else:
                        persistent = name not in d["_non_persistent_buffers_set"]
                    self._drop(name, d["_parameters"], d["_modules"])
                    self.register_buffer(name, value, persistent)
                else:
                    object.__setattr__(self, name, value)

    def _drop(self, name: str, *stores: Any) -> None:
        self.__dict__.pop(name, None)
        for s in stores:
            if isinstance(s, set):
                s.discard(name)
            else:
                s.pop(name, None)

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        if name in d["_parameters"]:
            del d["_parameters"][name]
        elif name in d["_buffers"]:
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d["_modules"]:
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list:
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        # modules pickled before the state-dict hooks existed
        self.__dict__.setdefault("_state_dict_hooks", {})
        self.__dict__.setdefault("_load_state_dict_pre_hooks", {})

    # -- traversal ---------------------------------------------------------------------------

    def _named_members(self, get: Callable, prefix: str = "", recurse: bool = True,
                       remove_duplicate: bool = True) -> Iterator:
        memo = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for module_prefix, module in mods:
            for k, v in get(module):
                if v is None or v in memo:
                    continue
                if remove_duplicate:
                    memo.add(v)
                yield (module_prefix + ("." if module_prefix else "") + k, v)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Returns an iterator over module parameters."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple]:
        """Returns an iterator over module parameters, yielding both the name of the
        parameter and the parameter itself."""
        yield from self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                       remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Returns an iterator over module buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple]:
        """Returns an iterator over module buffers, yielding both the name of the buffer and
        the buffer itself."""
        yield from self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                       remove_duplicate)

    def children(self) -> Iterator[Module]:
        """Returns an iterator over immediate children modules."""
        for _, m in self.named_children():
            yield m

    def named_children(self) -> Iterator[tuple]:
        """Returns an iterator over immediate children modules, yielding both the name of
        the module and the module itself."""
        memo = set()
        for name, module in self._modules.items():
            if module is not None and module not in memo:
                memo.add(module)
                yield name, module

    def modules(self) -> Iterator[Module]:
        """Returns an iterator over all modules in the network."""
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo: set | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple]:
        """Returns an iterator over all modules in the network, yielding both the name of
        the module and the module itself."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            pre, mod = stack.pop()
            if mod in memo:
                continue
            if remove_duplicate:
                memo.add(mod)
            yield pre, mod
            kids = [(pre + ("." if pre else "") + name, m)
                    for name, m in mod._modules.items() if m is not None]
            stack.extend(reversed(kids))

    def __hash__(self) -> int:
        return id(self)

    # -- modes and conversions ------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Sets the module in training mode (or evaluation mode with mode=False)."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self) -> Module:
        """Sets the module in evaluation mode."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Changes if autograd should record operations on parameters in this module."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets gradients of all model parameters (to None by default)."""
        for p in self.parameters():
            if p._grad is not None:
                if set_to_none:
                    p._grad = None
                else:
                    g = p._grad
                    if g._fn is not None:
                        g.detach_()
                    g._data[...] = 0
                    bump_version(g)

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Applies fn recursively to every submodule (children first) and to self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self, fn: Callable[[Tensor], Tensor]) -> Module:
        for module in self.children():
            module._apply(fn)
        with no_grad():
            for p in self._parameters.values():
                if p is None:
                    continue
                new = fn(p)
                if new._data is not p._data:
                    p._data = new._data
                if p._grad is not None:
                    g = fn(p._grad)
                    p._grad._data = g._data
            for key, b in self._buffers.items():
                if b is not None:
                    self._buffers[key] = fn(b)
        return self

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """Moves and/or casts the parameters and buffers (only floating ones change
        dtype)."""
        from ..._dtypes import dtype as _dtype
        from ..._tensor import check_device, device

        dt = kwargs.get("dtype")
        dev = kwargs.get("device")
        for a in args:
            if isinstance(a, _dtype):
                dt = a
            elif isinstance(a, Tensor):
                dt = a.dtype
            elif isinstance(a, (str, device)) or (isinstance(a, int)
                                                   and not isinstance(a, bool)):
                dev = a
        if dt is not None and not dt.is_floating_point:
            raise TypeError("nn.Module.to only accepts floating point or complex dtypes, but "
                            f"got desired dtype={dt}")
        if isinstance(dev, str):
            device(dev)
        if dt is None and dev is None:
            return self
        if dev is not None and is_meta_device(dev):
            # Placeholders with the shapes and dtypes only (torch.func's ensembling moves a
            # base model there and swaps real parameters in with functional_call).
            return self._apply(lambda t: Tensor._make(meta_array(
                tuple(t.shape), (t.to(dt) if dt is not None and t.is_floating_point()
                                 else t)._data.dtype)))
        if dev is not None and any(t.is_meta for t in itertools.chain(self.parameters(),
                                                                      self.buffers())):
            raise NotImplementedError(
                "Cannot copy out of meta tensor; no data! Please use torch.nn.Module.to_empty() "
                "instead of torch.nn.Module.to() when moving module from meta to a different "
                "device.")

        def convert(t: Tensor) -> Tensor:
            # Each tensor moves in torch, so a module without any moves nowhere and succeeds.
            check_device(dev if dev is not None else "cpu")
            return t.to(dt) if dt is not None and t.is_floating_point() else t

        return self._apply(convert)

    def cuda(self, device: Any = None) -> Module:
        """Moves all model parameters and buffers to the GPU, which a CPU-only build (and
        ember) does not have: raises as torch does when the module holds any tensor."""
        return self._apply(lambda t: t.cuda(device))

    def float(self) -> Module:
        """Casts all floating point parameters and buffers to float."""
        from ... import _dtypes

        return self._apply(lambda t: t.to(_dtypes.float32) if t.is_floating_point() else t)

    def double(self) -> Module:
        """Casts all floating point parameters and buffers to double."""
        from ... import _dtypes

        return self._apply(lambda t: t.to(_dtypes.float64) if t.is_floating_point() else t)

    def half(self) -> Module:
        """Casts all floating point parameters and buffers to half."""
        from ... import _dtypes

        return self._apply(lambda t: t.to(_dtypes.float16) if t.is_floating_point() else t)

    def cpu(self) -> Module:
        """Moves all model parameters and buffers to the CPU (where they already are)."""
        return self

    def type(self, dst_type: Any) -> Module:
        """Casts all parameters and buffers to dst_type."""
        return self._apply(lambda t: t.to(dst_type))

    # -- state dict --------------------------------------------------------------------------

    def _save_to_state_dict(self, destination: dict, prefix: str, keep_vars: bool) -> None:
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> dict:
        """Returns a dictionary containing references to the whole state of the module:
        parameters and persistent buffers, keyed by their dotted names."""
        if args:
            destination = args[0] if len(args) > 0 else destination
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()  # type: ignore[attr-defined]
        local_metadata = {"version": getattr(self, "_version", 1)}
        meta = getattr(destination, "_metadata", None)
        if meta is not None:
            meta[prefix[:-1]] = local_metadata
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if result is not None:
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict: Mapping, prefix: str, local_metadata: dict,
                              strict: bool, missing_keys: list, unexpected_keys: list,
                              error_msgs: list) -> None:
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        persistent = {k: v for k, v in self._buffers.items()
                      if k not in self._non_persistent_buffers_set}
        local = {k: v for k, v in itertools.chain(self._parameters.items(), persistent.items())
                 if v is not None}
        for name, param in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                # torch's tensors and NumPy arrays load as their values.
                arr = value if isinstance(value, np.ndarray) else foreign_array(value)
                if arr is not None:
                    value = from_numpy(arr)
            if not isinstance(value, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected '
                                  "torch.Tensor or Tensor-like object from checkpoint but "
                                  f"received {type(value)}")
                continue
            if value._data.shape != param._data.shape:
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {param.shape}.")
                continue
            with no_grad():
                param._data[...] = value._data.astype(param._data.dtype, copy=False)
                bump_version(param)
        if strict:
            for key in state_dict.keys():
                if key.startswith(prefix):
                    rest = key[len(prefix):]
                    name = rest.split(".", 1)[0]
                    if name not in self._modules and name not in local:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict: Mapping, strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copies parameters and buffers from state_dict into this module and its
        descendants; with strict, the keys must match exactly."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        # a copy, which the load pre-hooks may change (renamed keys of an older layout)
        metadata = getattr(state_dict, "_metadata", None) or {}
        state_dict = OrderedDict(state_dict)
        missing: list = []
        unexpected: list = []
        errors: list = []
        for prefix_name, module in self.named_modules(remove_duplicate=False):
            prefix = prefix_name + "." if prefix_name else ""
            module._load_from_state_dict(state_dict, prefix, metadata.get(prefix_name, {}),
                                         True, missing, unexpected, errors)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    # -- hooks ------------------------------------------------------------------------------

    def register_forward_pre_hook(self, hook: Callable, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> _Handle:
        """Registers hook(module, args) (or hook(module, args, kwargs)) to run before
        forward; a returned value replaces the arguments."""
        h = _add(self._forward_pre_hooks, hook, prepend)
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[h.id] = True
            h.extra = self._forward_pre_hooks_with_kwargs
        return h

    def register_forward_hook(self, hook: Callable, *, prepend: bool = False,
                              with_kwargs: bool = False, always_call: bool = False) -> _Handle:
        """Registers hook(module, args, output) to run after forward; a returned value
        replaces the output."""
        h = _add(self._forward_hooks, hook, prepend)
        if with_kwargs:
            self._forward_hooks_with_kwargs[h.id] = True
            h.extra = self._forward_hooks_with_kwargs
        if always_call:
            self._forward_hooks_always_called[h.id] = True
        return h

    def _register_state_dict_hook(self, hook: Callable) -> _Handle:
        """Registers hook(module, state_dict, prefix, local_metadata), called after
        state_dict() has filled in this module's entries; a returned value replaces the
        state dict."""
        return _add(self._state_dict_hooks, hook)

    def _register_load_state_dict_pre_hook(self, hook: Callable,
                                           with_module: bool = False) -> _Handle:
        """Registers hook(state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) (with_module: hook(module, ...)), called before this
        module's entries are loaded, on the copy load_state_dict works on."""
        if with_module:
            return _add(self._load_state_dict_pre_hooks, functools.partial(hook, self))
        return _add(self._load_state_dict_pre_hooks, hook)

    def register_full_backward_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        """Registers hook(module, grad_input, grad_output), called when the gradients with
        respect to the module's inputs have been computed; it may return new grad_input."""
        return _add(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook: Callable, prepend: bool = False) -> _Handle:
        """Registers hook(module, grad_output), called before the module's gradients are
        computed; it may return a new grad_output."""
        return _add(self._backward_pre_hooks, hook, prepend)

    # -- calling ----------------------------------------------------------------------------

    def _call_impl(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if not (d["_forward_hooks"] or d["_forward_pre_hooks"] or d["_backward_hooks"]
                or d["_backward_pre_hooks"]):
            return self.forward(*args, **kwargs)
        for hid, hook in list(d["_forward_pre_hooks"].items()):
            if hid in d["_forward_pre_hooks_with_kwargs"]:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {res}.")
                    args, kwargs = res
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        state = None
        if d["_backward_hooks"] or d["_backward_pre_hooks"]:
            state = _BackwardHookState(self)
            args = state.wrap_inputs(args)
        result = self.forward(*args, **kwargs)
        for hid, hook in list(d["_forward_hooks"].items()):
            if hid in d["_forward_hooks_with_kwargs"]:
                res = hook(self, args, kwargs, result)
            else:
                res = hook(self, args, result)
            if res is not None:
                result = res
        if state is not None:
            result = state.wrap_outputs(result)
        return result

    __call__ = _call_impl

    # -- printing ---------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The module's own line in its repr; layers override it to show their settings."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = []
        for key, module in self._modules.items():
            child_lines.append("(" + key + "): " + _addindent(repr(module), 2))
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"


# -- full backward hooks --------------------------------------------------------------------

def _identity_grads(m: Any, grads: Any, state: Any, i: int, side: str) -> Any:
    return state.on_grads(m, grads, i, side)


def _hook_node(n: int, side: str) -> type:
    key = (n, side)
    cls = _HOOK_NODES.get(key)
    if cls is None:
        formulas = tuple((lambda m, g, state, i=i, side=side:
                          _identity_grads(m, g, state, i, side)) for i in range(n))
        cls = _HOOK_NODES[key] = node_class("BackwardHookFunctionBackward", *formulas,
                                            n_outputs=n)
    return cls


_HOOK_NODES: dict = {}


class _BackwardHookState:
    """Identity nodes around a module call: the one on its outputs collects grad_output
    (running backward pre-hooks), the one on its inputs calls the full backward hooks with
    grad_input and grad_output."""

    def __init__(self, module: Module) -> None:
        self.module = module
        self.n_in = 0
        self.grad_outputs: Any = None
        self.done_in: Any = None
        self.done_out: Any = None
        self.inputs_need_grad = False

    def _wrap(self, tensors: list, side: str) -> list:
        cls = _hook_node(len(tensors), side)
        outs = tuple(Tensor._make(t._data) for t in tensors)
        for o, t in zip(outs, tensors):
            o._vc = shared_counter(t)
        attach_outputs(cls, outs, tuple(tensors), (self,))
        return list(outs)

    def wrap_inputs(self, args: tuple) -> tuple:
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_in = len(idx)
        tensors = [args[i] for i in idx]
        if not tensors or not needs_grad(*tensors):
            return args
        self.inputs_need_grad = True
        wrapped = self._wrap(tensors, "in")
        out = list(args)
        for i, w in zip(idx, wrapped):
            out[i] = w
        return tuple(out)

    def wrap_outputs(self, result: Any) -> Any:
        single = isinstance(result, Tensor)
        items = [result] if single else list(result) if isinstance(result, tuple) else None
        if items is None:
            return result
        idx = [i for i, a in enumerate(items) if isinstance(a, Tensor) and a._rg]
        if not idx:
            return result
        self.n_out = len(idx)
        wrapped = self._wrap([items[i] for i in idx], "out")
        for i, w in zip(idx, wrapped):
            items[i] = w
        return items[0] if single else tuple(items)

    def _tensors(self, grads: list, m: Any) -> tuple:
        return tuple(None if g is None else (g if isinstance(g, Tensor) else Tensor._make(g))
                     for g in grads)

    def on_grads(self, m: Any, grads: Any, i: int, side: str) -> Any:
        grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
        if side == "out":
            if self.done_out is not grads:
                self.done_out = grads
                go = self._tensors(grads, m)
                for hook in list(self.module._backward_pre_hooks.values()):
                    res = hook(self.module, go)
                    if res is not None:
                        go = tuple(res)
                self.grad_outputs = go
                self.out_arrays = [None if g is None else
                                   (g if isinstance(g, Tensor) and _is_graph(grads) else
                                    g._data if isinstance(g, Tensor) else g) for g in go]
                if not self.inputs_need_grad:
                    for hook in list(self.module._backward_hooks.values()):
                        hook(self.module, (None,) * max(self.n_in, 1), self.grad_outputs)
            return self.out_arrays[i]
        if self.done_in is not grads:
            self.done_in = grads
            gi = self._tensors(grads, m)
            for hook in list(self.module._backward_hooks.values()):
                res = hook(self.module, gi, self.grad_outputs)
                if res is not None:
                    gi = tuple(res)
            self.in_arrays = [None if g is None else
                              (g if _is_graph(grads) else g._data) for g in gi]
        return self.in_arrays[i]


def _is_graph(grads: list) -> bool:
    return any(isinstance(g, Tensor) for g in grads)

