"""nn.MultiheadAttention and F.multi_head_attention_forward against torch: seeded initial
weights, outputs, attention weights, gradients, masks of every kind, dropout and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as enn
from helpers import assert_same, same_error

F32 = {"rtol": 1e-4, "atol": 1e-5}


def rnd(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def twins(seed=0, **kw):
    ember.manual_seed(seed)
    torch.manual_seed(seed)
    e, t = enn.MultiheadAttention(**kw), tnn.MultiheadAttention(**kw)
    es, ts = e.state_dict(), t.state_dict()
    assert list(es) == list(ts)
    for k in ts:
        np.testing.assert_array_equal(es[k].numpy(), ts[k].numpy(), err_msg=k)
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    return e, t


def mask(seed, shape, kind):
    """A bool mask (True = masked) that leaves every row some unmasked key, or its float
    form (an additive mask with -inf and finite values)."""
    m = np.random.default_rng(seed).random(shape) < 0.3
    m[..., 0] = False
    if kind == "bool":
        return m
    return np.where(m, -np.inf, rnd(*shape, seed=seed + 1) * 0.5).astype(np.float32)


def both(x):
    if x is None:
        return None, None
    return ember.from_numpy(x.copy()), torch.from_numpy(x.copy())


def run(e, t, q, k, v, share="", grad=True, check_weights=True, **fw):
    """Forward both modules; share is "qkv" (self-attention: one tensor) or "kv"."""
    eq, tq = both(q)
    if grad:
        eq.requires_grad_()
        tq.requires_grad_()
    if share == "qkv":
        ek = ev = eq
        tk = tv = tq
    else:
        ek, tk = both(k)
        ev, tv = (ek, tk) if share == "kv" else both(v)
    ekw, tkw = {}, {}
    for name, val in fw.items():
        if isinstance(val, np.ndarray):
            ekw[name], tkw[name] = both(val)
        else:
            ekw[name] = tkw[name] = val
    eo, ew = e(eq, ek, ev, **ekw)
    to, tw = t(tq, tk, tv, **tkw)
    assert_same(eo, to, **F32)
    if check_weights:
        assert_same(ew, tw, **F32)
    if grad:
        g = rnd(*to.shape, seed=9, dtype=to.detach().numpy().dtype)
        (eo * ember.from_numpy(g)).sum().backward()
        (to * torch.from_numpy(g)).sum().backward()
        for (_, ep), (_, tp) in zip(e.named_parameters(), t.named_parameters()):
            assert_same(ep.grad, tp.grad, **F32)
        assert_same(eq.grad, tq.grad, **F32)
    return eo, to


CASES = [
    ({}, "", {}),
    ({"batch_first": True}, "qkv", {}),
    ({"batch_first": True, "bias": False}, "kv", {"need_weights": False}),
    ({"kdim": 6, "vdim": 5}, "", {"average_attn_weights": False}),
    ({"kdim": 6, "vdim": 5, "batch_first": True, "add_bias_kv": True}, "", {}),
    ({"add_bias_kv": True, "add_zero_attn": True}, "qkv", {"mask": ("bool", 2, True)}),
    ({"add_zero_attn": True}, "kv", {"mask": ("float", 3, True)}),
    ({}, "", {"mask": ("float", 2, False), "average_attn_weights": False}),
    ({"batch_first": True}, "", {"mask": ("bool", 3, True), "need_weights": False}),
    ({}, "qkv", {"mask": ("bool", None, True)}),
    ({"add_bias_kv": True}, "", {"mask": ("float", None, True), "need_weights": False}),
]


@pytest.mark.parametrize("kw,share,fw", CASES)
def test_mha_against_torch(kw, share, fw):
    e, t = twins(embed_dim=8, num_heads=2, **kw)
    bf = kw.get("batch_first", False)
    L, S, N = 4, 5, 3
    if share == "qkv":
        S = L
    kd, vd = kw.get("kdim", 8), kw.get("vdim", 8)

    def shape(seq, d):
        return (N, seq, d) if bf else (seq, N, d)
    q, k, v = rnd(*shape(L, 8)), rnd(*shape(S, kd), seed=1), rnd(*shape(S, vd), seed=2)
    fw = dict(fw)
    spec = fw.pop("mask", None)
    if spec is not None:
        kind, adim, kpm = spec
        if adim == 2:
            fw["attn_mask"] = mask(3, (L, S), kind)
        elif adim == 3:
            fw["attn_mask"] = mask(3, (N * 2, L, S), kind)
        if kpm:
            fw["key_padding_mask"] = mask(5, (N, S), kind)
    run(e, t, q, k, v, share, **fw)


def test_unbatched_float64_and_causal():
    e, t = twins(embed_dim=6, num_heads=3)
    e, t = e.double(), t.double()
    q, k = rnd(4, 6, dtype=np.float64), rnd(4, 6, seed=1, dtype=np.float64)
    causal = np.triu(np.ones((4, 4), bool), 1)
    run(e, t, q, k, k, "kv", attn_mask=causal, key_padding_mask=mask(2, (4,), "bool"))
    run(e, t, q, k, k, "kv", attn_mask=mask(4, (3, 4, 4), "float").astype(np.float64))
    # The causal hint: with need_weights=False and no padding mask torch uses the causal
    # mask itself, whatever attn_mask holds.
    e.zero_grad()
    t.zero_grad()
    anything = np.zeros((4, 4), np.float64)
    run(e, t, q, k, k, "kv", attn_mask=anything, is_causal=True, need_weights=False)
    run(e, t, q, q, q, "qkv", attn_mask=causal, is_causal=True)


def test_dropout_matches_torch_after_seed():
    for need in (True, False):
        e, t = twins(embed_dim=8, num_heads=2, dropout=0.4)
        q = rnd(5, 2, 8)
        ember.manual_seed(7)
        torch.manual_seed(7)
        run(e, t, q, q, q, "qkv", need_weights=need)
        e.eval()
        t.eval()
        run(e, t, q, q, q, "qkv", grad=False, need_weights=need)


def test_functional_static_kv_and_separate_weights():
    ember.manual_seed(1)
    torch.manual_seed(1)
    E, H, L, S, N = 6, 2, 3, 4, 2
    arrays = {"in_proj_weight": rnd(3 * E, E), "in_proj_bias": rnd(3 * E, seed=1),
              "out_proj_weight": rnd(E, E, seed=2), "out_proj_bias": rnd(E, seed=3),
              "q_proj_weight": rnd(E, E, seed=4), "k_proj_weight": rnd(E, 5, seed=5),
              "v_proj_weight": rnd(E, 7, seed=6)}
    ep = {n: ember.from_numpy(a).requires_grad_() for n, a in arrays.items()}
    tp = {n: torch.from_numpy(a).requires_grad_() for n, a in arrays.items()}
    q, k, v = rnd(L, N, E, seed=7), rnd(S, N, 5, seed=8), rnd(S, N, 7, seed=9)
    sk, sv = rnd(N * H, S + 1, E // H, seed=10), rnd(N * H, S + 1, E // H, seed=11)
    outs = []
    for lib, p in ((ember, ep), (torch, tp)):
        F = lib.nn.functional
        a = F.multi_head_attention_forward(
            lib.from_numpy(q), lib.from_numpy(k), lib.from_numpy(v), E, H, None,
            p["in_proj_bias"], None, None, True, 0.0, p["out_proj_weight"], p["out_proj_bias"],
            use_separate_proj_weight=True, q_proj_weight=p["q_proj_weight"],
            k_proj_weight=p["k_proj_weight"], v_proj_weight=p["v_proj_weight"],
            static_k=lib.from_numpy(sk), static_v=lib.from_numpy(sv),
            average_attn_weights=False)
        (a[0].sum() + a[1].pow(2).sum()).backward()
        outs.append(a)
    assert_same(outs[0], outs[1], **F32)
    for n in arrays:
        assert_same(ep[n].grad, tp[n].grad, **F32)


def test_graph_names():
    e, t = twins(embed_dim=4, num_heads=2, batch_first=True)
    q = rnd(2, 3, 4)
    eo, ew = e(*(ember.from_numpy(q).requires_grad_(),) * 3)
    to, tw = t(*(torch.from_numpy(q).requires_grad_(),) * 3)
    assert type(eo.grad_fn).__name__ == type(to.grad_fn).__name__
    assert type(ew.grad_fn).__name__ == type(tw.grad_fn).__name__


def test_errors_and_warnings():
    e, t = twins(embed_dim=4, num_heads=2)
    q = rnd(3, 2, 4)

    def call(lib, m, qq=q, kk=q, **kw):
        conv = {n: lib.from_numpy(a) if isinstance(a, np.ndarray) else a
                for n, a in kw.items()}
        return m(lib.from_numpy(qq), lib.from_numpy(kk), lib.from_numpy(kk), **conv)

    for kw in [{"is_causal": True}, {"attn_mask": np.zeros((3, 2), np.float32)},
               {"attn_mask": np.zeros((2, 3, 3), np.float32)},
               {"attn_mask": np.zeros((3, 3), np.int64)},
               {"attn_mask": np.zeros((1, 1, 3, 3), bool)},
               {"key_padding_mask": np.zeros((2, 4), bool)},
               {"key_padding_mask": np.zeros((3,), bool)}]:
        same_error(lambda kw=kw: call(ember, e, **kw), lambda kw=kw: call(torch, t, **kw))
    same_error(lambda: call(ember, e, kk=rnd(3, 2, 5)), lambda: call(torch, t, kk=rnd(3, 2, 5)))
    same_error(lambda: call(ember, e, qq=rnd(3, 4)), lambda: call(torch, t, qq=rnd(3, 4)))
    same_error(lambda: call(ember, e, qq=rnd(3, 2, 4, 1)),
               lambda: call(torch, t, qq=rnd(3, 2, 4, 1)))
    same_error(lambda: enn.MultiheadAttention(5, 2), lambda: tnn.MultiheadAttention(5, 2))
    same_error(lambda: enn.MultiheadAttention(0, 2), lambda: tnn.MultiheadAttention(0, 2))
    kw = {"attn_mask": np.zeros((3, 3), np.float32), "key_padding_mask": np.zeros((2, 3), bool)}
    msgs = []
    for lib, m in ((ember, e), (torch, t)):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            call(lib, m, **kw)
        msgs.append([str(x.message) for x in w if "mismatched" in str(x.message)])
    assert msgs[0] == msgs[1] and msgs[0]


def test_merge_masks():
    e, t = twins(embed_dim=4, num_heads=2, batch_first=True)
    am, kpm, q = mask(1, (3, 3), "float"), mask(2, (2, 3), "float"), rnd(2, 3, 4)
    em = e.merge_masks(*both(am)[:1], both(kpm)[0], ember.from_numpy(q))
    tm = t.merge_masks(both(am)[1], both(kpm)[1], torch.from_numpy(q))
    assert em[1] == tm[1]
    assert_same(em[0], tm[0])
