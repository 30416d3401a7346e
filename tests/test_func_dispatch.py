"""Dispatch is decided where an op is defined: every reference ember keeps to an op is its
transform-aware wrapper from import on, so the transforms see every op without anything
being patched when they first run."""

from __future__ import annotations

import importlib
import sys
import types

import torch

import ember
from ember import Tensor
from ember._transform_hooks import ORIGINAL_OF
from ember.ops import _math

# Modules loaded on demand hold ops too.
for _name in ("ember.func", "ember.autograd.forward_ad", "ember._compile.recording",
              "ember.nn", "ember.optim", "ember.distributions", "ember.utils.data"):
    importlib.import_module(_name)


def _holding_plain_ops() -> list:
    plain = set(ORIGINAL_OF.values())
    found = []
    for name, mod in list(sys.modules.items()):
        if mod is not None and name.startswith("ember"):
            # A module's private name for the op it wraps under another (_im2col) may stay.
            found += [f"{name}.{k}" for k, v in vars(mod).items()
                      if isinstance(v, types.FunctionType) and v in plain and k[0] != "_"]
    found += [f"Tensor.{k}" for k, v in vars(Tensor).items()
              if isinstance(v, types.FunctionType) and v in plain]
    found += [f"graph.{k}" for k, v in vars(_math.graph).items()
              if isinstance(v, types.FunctionType) and v in plain]
    return found


def test_no_module_tensor_attribute_or_graph_helper_holds_an_unwrapped_op():
    assert ORIGINAL_OF  # the families made their wrappers at import
    assert _holding_plain_ops() == []


def test_shift_operators_batch_under_vmap():
    # The shift operators reach vmap as the ops they are (bitwise_left_shift, ...).
    def f(a, y):
        return a << 1, a >> 1, 3 << a, 64 >> a, a << y, a >> y

    def run(lib):
        x = lib.tensor([[1, 2, 3], [4, 5, 6]])
        y = lib.tensor([1, 2, 0])
        return [t.tolist() for t in lib.func.vmap(f, in_dims=(0, None))(x, y)]

    assert run(ember) == run(torch)
