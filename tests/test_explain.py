"""autograd.explain: each verdict against what torch does with the same program (whether
backward() leaves the input's .grad None), and each cause it names."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import torch

import ember
from ember.autograd import explain, record_cuts
from ember.autograd.explain import Explanation


def torch_reaches(program) -> dict:
    """Runs the program under torch, calls backward when the output allows it, and says for
    each input whether its .grad was filled."""
    out, inputs = program(torch)
    if out.requires_grad:
        out.backward(torch.ones_like(out))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # .grad of a non-leaf warns
        return {k: t.grad is not None for k, t in inputs.items()}


def check(program, causes: dict) -> Explanation:
    """explain() on ember's run of the program agrees with torch on every input, and names
    the expected cause for each."""
    with record_cuts():
        out, inputs = program(ember)
    result = explain(out, inputs)
    expected = torch_reaches(program)
    assert [v.name for v in result] == list(inputs)
    for v in result:
        assert v.reaches == expected[v.name], str(v)
        assert v.cause == causes[v.name], str(v)
    # explain() does not change what backward then does.
    if out.requires_grad:
        out.backward(ember.ones_like(out))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert {k: t.grad is not None for k, t in inputs.items()} == expected
    return result


def here(offset: int) -> str:
    """test_explain.py:N for the line `offset` lines above the caller's."""
    frame = sys._getframe(1)
    return f"test_explain.py:{frame.f_lineno + offset}"


def seed(lib):
    lib.manual_seed(0)
    x = lib.ones(5)
    y = lib.zeros(3)
    w = lib.randn(5, 3, requires_grad=True)
    b = lib.randn(3, requires_grad=True)
    z = lib.matmul(x, w) + b
    loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y)
    return loss, dict(w=w, b=b, x=x, z=z)


def test_seed_paths_and_report():
    result = check(seed, dict(w="reaches", b="reaches", x="requires_grad", z="non_leaf"))
    w, b, x, z = result
    assert w.path == ["BinaryCrossEntropyWithLogitsBackward0", "AddBackward0",
                      "SqueezeBackward4", "MmBackward0", "AccumulateGrad"]
    assert b.path == ["BinaryCrossEntropyWithLogitsBackward0", "AddBackward0",
                      "AccumulateGrad"]
    assert x.path == ["BinaryCrossEntropyWithLogitsBackward0", "AddBackward0",
                      "SqueezeBackward4", "MmBackward0"]
    assert "requires_grad=True" in x.reason
    assert "retain_grad()" in z.reason
    assert z.path == ["BinaryCrossEntropyWithLogitsBackward0", "AddBackward0"]
    report = str(result)
    assert report.count("\n    path: ") == 4
    assert report.startswith("w: reaches.")
    assert "x: no gradient." in report


def test_non_leaf_with_retain_grad():
    def program(lib):
        a = lib.randn(3, requires_grad=True)
        h = a * 2
        h.retain_grad()
        return (h * h).sum(), dict(h=h, a=a)

    check(program, dict(h="reaches", a="reaches"))


def test_made_under_no_grad():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        with lib.no_grad():
            h = w * 2
        return (h * b).sum(), dict(h=h, w=w, b=b)

    h, w, _ = check(program, dict(h="no_grad", w="no_grad", b="reaches"))
    assert "no_grad block at test_explain.py" in h.reason
    assert w.path == ["SumBackward0", "MulBackward0"]


def test_whole_output_under_no_grad():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        with lib.no_grad():
            loss = (w * 2).sum()
        return loss, dict(w=w)

    check(program, dict(w="no_grad"))


def test_no_grad_marks_only_what_the_block_made():
    a = ember.randn(3)
    w = ember.randn(3, requires_grad=True)
    with record_cuts():
        with ember.no_grad():
            c = a + 1
            w2 = w
    (ca, cc, cw) = explain(w * a + c, dict(a=a, c=c, w2=w2))
    assert (ca.cause, cc.cause, cw.cause) == ("requires_grad", "no_grad", "reaches")


def test_view_taken_under_no_grad():
    def program(lib):
        w = lib.randn(2, 3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        views = []
        with lib.no_grad():
            views.append(w[0])  # not bound to a name in the block
        v = views[0]
        return (v * b).sum(), dict(v=v, w=w)

    v, w = check(program, dict(v="no_grad", w="detached"))
    assert "view" in v.reason and "view" in w.reason


def test_detach_breaks_the_path():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        return (w.detach() * b).sum(), dict(w=w, b=b)

    w, _ = check(program, dict(w="detached", b="reaches"))
    assert f"w.detach() at {here(-3)} shares w's memory" in w.reason
    assert w.path == ["SumBackward0", "MulBackward0"]


def test_detached_copy_made_a_leaf_of_its_own():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        w2 = w.detach().requires_grad_()
        return (w2 * 3).sum(), dict(w=w, w2=w2)

    check(program, dict(w="detached", w2="reaches"))


def test_data_breaks_the_path():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        return (w.data * b).sum(), dict(w=w)

    (w,) = check(program, dict(w="detached"))
    assert f"w.data at {here(-3)} shares w's memory" in w.reason


def test_numpy_round_trip_breaks_the_path():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        arr = w.detach().numpy()
        return (lib.from_numpy(arr) * b).sum(), dict(w=w)

    (w,) = check(program, dict(w="detached"))
    assert f"w.detach() at {here(-4)} shares w's memory" in w.reason


def test_item_leaves_the_graph():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        return (b * w.sum().item()).sum(), dict(w=w, b=b)

    w, _ = check(program, dict(w="unused", b="reaches"))
    assert ".item()" in w.reason


def test_integer_op_has_no_gradient():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        mask = (w > 0).long()
        return (mask * b).sum(), dict(w=w, mask=mask, b=b)

    w, mask, _ = check(program, dict(w="non_differentiable", mask="non_differentiable",
                                     b="reaches"))
    line = here(-5)
    assert f"w went through a comparison (gt) at {line}" in w.reason
    # The cast came after the comparison: only the comparison cut w's path.
    assert "cast" not in w.reason
    assert w.path == ["SumBackward0", "MulBackward0"]
    assert "torch.int64" in mask.reason


def test_long_cuts_the_path():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        return (w.long() * b).sum(), dict(w=w, b=b)

    w, _ = check(program, dict(w="non_differentiable", b="reaches"))
    assert f"w went through a cast to torch.int64 at {here(-3)}" in w.reason


def test_intermediate_made_under_no_grad_names_its_block():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        b = lib.randn(3, requires_grad=True)
        with lib.no_grad():
            h = w * 2
        return (h * b).sum(), dict(w=w, h=h, b=b)

    w, h, _ = check(program, dict(w="no_grad", h="no_grad", b="reaches"))
    block = f"no_grad block at {here(-5)}"
    assert block in w.reason and block in h.reason
    assert w.path == h.path == ["SumBackward0", "MulBackward0"]


def test_unrecorded_cut_says_how_to_record():
    w = ember.randn(3, requires_grad=True)
    b = ember.randn(3, requires_grad=True)
    (v,) = explain(((w.detach() + 1).exp() * b).sum(), {"w": w})
    assert v.cause == "unused" and "record_cuts()" in v.reason


def test_integer_output_has_no_gradient():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        return (w > 0).sum(), dict(w=w)

    (w,) = check(program, dict(w="non_differentiable"))
    assert f"w went through a comparison (gt) at {here(-3)}" in w.reason


def test_argmax_has_no_gradient():

    def program(lib):
        w = lib.randn(4, requires_grad=True)
        b = lib.randn(4, requires_grad=True)
        return (b * lib.argmax(w)).sum(), dict(w=w)

    (w,) = check(program, dict(w="non_differentiable"))
    assert f"w went through argmax() at {here(-3)}" in w.reason


def test_unused_input():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        c = lib.randn(3, requires_grad=True)
        return (w * w).sum(), dict(w=w, c=c)

    _, c = check(program, dict(w="reaches", c="unused"))
    assert c.path == []


def test_output_without_graph_from_plain_data():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        return lib.ones(3).sum(), dict(w=w)

    check(program, dict(w="unused"))


def test_output_is_the_input():
    def program(lib):
        w = lib.randn(3, requires_grad=True)
        return w, dict(w=w)

    check(program, dict(w="reaches"))


def test_input_forms():
    a = ember.randn(2, requires_grad=True)
    out = a * 2
    assert [v.name for v in explain(out, a)] == ["input"]
    assert [v.name for v in explain(out, [a, a])] == ["inputs[0]", "inputs[1]"]
    assert [v.name for v in explain(out, [("a", a)])] == ["a"]
    assert explain(out, {"a": a})[0].reaches


def test_deep_graph_is_walked_without_recursion():
    a = ember.randn(2, requires_grad=True)
    h = a
    for _ in range(20_000):
        h = h + 1.0
    (v,) = explain(h.sum(), {"a": a})
    assert v.reaches and len(v.path) == 20_002


def test_no_grad_marks_die_with_their_tensors():
    from ember.autograd import _cuts

    def blocks():
        for _ in range(100):
            with ember.no_grad():
                t = ember.ones(2) + np.float32(1)
        return _cuts.made_at(t)

    with record_cuts():
        assert blocks() == ("no_grad", f"test_explain.py:{here(-5)[len('test_explain.py:'):]}")
        assert len(_cuts.recorder.made) == 0


def test_no_grad_block_leaves_locals_alone():
    a = ember.ones(2)
    names = locals()
    with ember.no_grad():
        b = a * 2
    assert names["a"] is a and b.shape == (2,)


def test_recording_keeps_grad_mode_and_restores_it():
    from ember.autograd import grad_mode

    plain = type(grad_mode.state)
    with ember.no_grad():
        with record_cuts():
            assert not ember.is_grad_enabled()
            with ember.enable_grad():
                assert ember.is_grad_enabled()
            assert not ember.is_grad_enabled()
        assert not ember.is_grad_enabled()
    assert ember.is_grad_enabled() and type(grad_mode.state) is plain
