"""Class weights of nll_loss and cross_entropy, against torch: torch's kernel has no
derivative for the weight and refuses one that requires grad (unless grad mode is off)."""

from __future__ import annotations

import pytest
import torch

import ember

CALLS = {
    "nll_loss": lambda F, x, t, w: F.nll_loss(x, t, weight=w),
    "nll_loss_none": lambda F, x, t, w: F.nll_loss(x, t, weight=w, reduction="none"),
    "cross_entropy": lambda F, x, t, w: F.cross_entropy(x, t, weight=w),
    "cross_entropy_smoothing": lambda F, x, t, w: F.cross_entropy(x, t, weight=w,
                                                                   label_smoothing=0.1),
}
SHAPES = [((3, 4), (3,)), ((4,), ()), ((2, 4, 3), (2, 3)), ((2, 4, 2, 3), (2, 2, 3)),
          ((2, 4, 1, 2, 2), (2, 1, 2, 2))]


def _outcome(lib, call, shape, tshape, input_grad, grad_mode=True):
    x = lib.zeros(shape, requires_grad=input_grad)
    t = lib.zeros(tshape, dtype=lib.long)
    w = lib.ones(4, requires_grad=True)
    with lib.set_grad_enabled(grad_mode):
        try:
            return float(call(lib.nn.functional, x, t, w).sum())
        except RuntimeError as e:
            return str(e)


@pytest.mark.parametrize("shape,tshape", SHAPES)
@pytest.mark.parametrize("name", list(CALLS))
def test_weight_requiring_grad_is_refused(name, shape, tshape):
    for input_grad in (True, False):
        e = _outcome(ember, CALLS[name], shape, tshape, input_grad)
        t = _outcome(torch, CALLS[name], shape, tshape, input_grad)
        assert isinstance(t, str) and e == t


def test_weight_requiring_grad_under_no_grad():
    e = _outcome(ember, CALLS["nll_loss"], (3, 4), (3,), True, grad_mode=False)
    t = _outcome(torch, CALLS["nll_loss"], (3, 4), (3,), True, grad_mode=False)
    assert e == t


def test_module_with_weight_requiring_grad():
    msgs = []
    for lib in (ember, torch):
        loss = lib.nn.NLLLoss(weight=lib.ones(4, requires_grad=True))
        with pytest.raises(RuntimeError) as info:
            loss(lib.zeros(3, 4, requires_grad=True), lib.zeros(3, dtype=lib.long))
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
