"""Optimizer: the base class, with torch's parameter groups and state-dict layout."""

from __future__ import annotations

import copy
from collections import defaultdict
from typing import Any, Callable

import numpy as np

from .._tensor import Tensor
from .._version import bump_version
from ..autograd.grad_mode import no_grad
from ..ops.creation import foreign_array, from_numpy

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()


def _typename(obj: Any) -> str:
    if isinstance(obj, Tensor):
        return "torch." + obj.dtype._legacy + "Tensor"
    return type(obj).__qualname__ if type(obj).__module__ == "builtins" else \
        type(obj).__module__ + "." + type(obj).__qualname__


def step_tensor() -> Tensor:
    """The float32 0-dim step counter torch keeps in an optimizer's per-parameter state."""
    return Tensor._make(np.zeros((), np.float32))


def bump(t: Tensor) -> float:
    """step_t += 1, returning the new step as a Python float."""
    t._data += np.float32(1)
    bump_version(t)
    return float(t._data)


class Optimizer:
    """Base class for all optimizers: holds param_groups (dicts with a 'params' list and
    hyper-parameters) and per-parameter state."""

    def __init__(self, params: Any, defaults: dict) -> None:
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += "\n"
            s += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    def add_param_group(self, param_group: dict) -> None:
        """Adds a param group to the Optimizer's param_groups."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(p))
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all optimized tensors (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is not None:
                    if set_to_none:
                        p._grad = None
                    else:
                        if p._grad._fn is not None:
                            p._grad.detach_()
                        p._grad._data[...] = 0
                        bump_version(p._grad)

    def state_dict(self) -> dict:
        """Returns the state of the optimizer as a dict: 'state' keyed by parameter index and
        'param_groups' with parameter indices in place of the parameters."""
        mappings: dict = {}
        start = 0

        def pack(group: dict) -> dict:
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mappings.setdefault(id(p), i)
            packed["params"] = [mappings[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        groups = [pack(g) for g in self.param_groups]
        state = {(mappings[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Loads the optimizer state from a dict produced by state_dict()."""
        state_dict = dict(state_dict)
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = {old: p for g, s in zip(groups, saved_groups)
                  for old, p in zip(s["params"], g["params"])}
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: _cast(param, key, val) for key, val in v.items()}
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            new_groups.append(s)
        self.state = state
        self.param_groups = new_groups

    def step(self, closure: Callable | None = None) -> Any:
        """Performs a single optimization step."""
        loss = None
        if closure is not None:
            from ..autograd.grad_mode import enable_grad

            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update_group(group)
        return loss

    def _update_group(self, group: dict) -> None:
        """Updates one parameter group: each optimizer defines its own update. The base
        class has none, so stepping it raises NotImplementedError, as torch's does."""
        raise NotImplementedError


def _cast(param: Tensor, key: str, value: Any) -> Any:
    if callable(getattr(value, "detach", None)) and not isinstance(value, Tensor):
        value = from_numpy(foreign_array(value))  # a torch tensor: its values, in ember
    if isinstance(value, Tensor):
        if key == "step":
            return Tensor._make(value._data.copy())
        if value.is_floating_point():
            return Tensor._make(value._data.astype(param._data.dtype, copy=True))
        return Tensor._make(value._data.copy())
    if isinstance(value, dict):
        return {k: _cast(param, k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cast(param, key, v) for v in value]
    return value


def grads_of(group: dict) -> list:
    """(param, grad array) pairs of a group's parameters that have a gradient."""
    out = []
    for p in group["params"]:
        g = p._grad
        if g is not None:
            out.append((p, g._data))
    return out


def f(x: float, dt: np.dtype) -> Any:
    """A Python number as torch uses it with a tensor of dtype dt (a wrapped scalar)."""
    return dt.type(x)
