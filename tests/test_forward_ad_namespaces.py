"""Forward AD sees every op, however the program got hold of it: functions taken from the
namespaces before any transform was used, and nn.functional's ops."""

import numpy as np
import torch
import torch.autograd.forward_ad as tfw

import ember
import ember.autograd.forward_ad as efw
from ember import exp as early_exp
from ember.nn.functional import gelu as early_gelu
from helpers import assert_same


def _tangent(lib, fw, fn, x, v):
    with fw.dual_level():
        d = fw.make_dual(lib.tensor(x), lib.tensor(v))
        return fw.unpack_dual(fn(lib, d)).tangent


def test_functions_taken_before_first_transform():
    x = np.array([0.5, -1.0, 2.0])
    v = np.array([1.0, 2.0, -1.0])
    for fn_e, fn_t in ((early_exp, torch.exp), (early_gelu, torch.nn.functional.gelu)):
        assert_same(_tangent(ember, efw, lambda L, d, f=fn_e: f(d), x, v),
                    _tangent(torch, tfw, lambda L, d, f=fn_t: f(d), x, v))


def test_nn_functional_ops():
    x = np.array([[0.5, -1.0, 2.0], [0.1, 0.2, -0.3]])
    v = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 3.0]])
    for fn in (lambda L, d: L.nn.functional.gelu(d, approximate="tanh"),
               lambda L, d: L.nn.functional.silu(d),
               lambda L, d: L.nn.functional.softplus(d),
               lambda L, d: L.nn.functional.log_softmax(d, 1),
               lambda L, d: L.linalg.vector_norm(d, dim=1)):
        assert_same(_tangent(ember, efw, fn, x, v), _tangent(torch, tfw, fn, x, v))
