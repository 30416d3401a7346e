"""torch.nn.init's deprecated aliases and sparse_, and torch.nn.utils' weight and spectral
norm, parametrizations, fusion, skip_init and functional_call, against torch: the same
numbers after the same seed, the same warnings, state_dict keys and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import ember
from helpers import same_error

ALIASES = [("uniform", {"a": -1.0, "b": 2.0}), ("normal", {"std": 0.5}),
           ("constant", {"val": 0.3}), ("eye", {}), ("xavier_uniform", {}),
           ("xavier_normal", {"gain": 2.0}), ("kaiming_uniform", {"a": 0.1}),
           ("kaiming_normal", {"mode": "fan_out"}), ("orthogonal", {}),
           ("sparse", {"sparsity": 0.4})]


def _warned(call):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = call()
    return out, [(x.category, str(x.message), x.filename) for x in w]


@pytest.mark.parametrize("name,kw", ALIASES)
def test_deprecated_init_aliases_warn_and_fill_as_torch(name, kw):
    ember.manual_seed(3)
    e, ew = _warned(lambda: getattr(ember.nn.init, name)(ember.empty(5, 7), **kw))
    torch.manual_seed(3)
    t, tw = _warned(lambda: getattr(torch.nn.init, name)(torch.empty(5, 7), **kw))
    # orthogonal_'s QR is NumPy's LAPACK, not torch's: the same draw, the last bits apart.
    tol = 1e-6 if name == "orthogonal" else 0
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=0, atol=tol)
    assert ew == tw and ew[0][0] is FutureWarning and ew[0][2] == __file__
    assert getattr(ember.nn.init, name).__name__ == name
    assert getattr(ember.nn.init, name).__doc__ == getattr(torch.nn.init, name).__doc__


def test_dirac_alias_and_sparse_generator():
    ember.manual_seed(0)
    e, _ = _warned(lambda: ember.nn.init.dirac(ember.empty(4, 2, 3), groups=2))
    torch.manual_seed(0)
    t, _ = _warned(lambda: torch.nn.init.dirac(torch.empty(4, 2, 3), groups=2))
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    out = []
    for lib in (ember, torch):
        lib.manual_seed(1)
        g = lib.Generator()
        g.manual_seed(9)
        x = lib.nn.init.sparse_(lib.empty(6, 3), 0.5, std=2.0, generator=g)
        out.append((x.numpy().copy(), lib.rand(2).numpy()))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    same_error(lambda: ember.nn.init.sparse_(ember.empty(3), 0.1),
               lambda: torch.nn.init.sparse_(torch.empty(3), 0.1))
    assert set(ember.nn.init.__all__) == set(torch.nn.init.__all__)
