"""ember.save(..., format="safetensors") / ember.load: the safetensors format, files written
by the safetensors package from torch state dicts, and one clear error for every file the
safetensors package refuses."""

from __future__ import annotations

import io
import json
import math
import os
import struct
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.torch import load_file, save_file

import ember
from helpers import assert_same


def test_roundtrip_tensor_and_state_dict(tmp_path):
    t = ember.arange(12, dtype=ember.float64).reshape(3, 4)
    ember.save(t, tmp_path / "t.safetensors", format="safetensors")
    back = ember.load(tmp_path / "t.safetensors")
    assert isinstance(back, ember.Tensor)
    assert_same(back, torch.arange(12, dtype=torch.float64).reshape(3, 4))
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    buf = io.BytesIO()
    ember.save(model.state_dict(), buf, format="safetensors")
    sd = ember.load(io.BytesIO(buf.getvalue()))
    assert list(sd) == list(model.state_dict())
    assert sd["1.num_batches_tracked"].dtype == ember.int64
    other = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    other.load_state_dict(sd)
    for a, b in zip(other.state_dict().values(), model.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_reads_safetensors_package_files_and_vice_versa(tmp_path):
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                                 torch.nn.Flatten(), torch.nn.Linear(8, 3))
    state = {k: v.contiguous() for k, v in tmodel.state_dict().items()}
    state["mask"] = torch.tensor([True, False])
    state["half"] = torch.ones(2, dtype=torch.float16)
    save_file(state, str(tmp_path / "torch.safetensors"))
    loaded = ember.load(str(tmp_path / "torch.safetensors"))
    for k, v in state.items():
        assert_same(loaded[k], v, rtol=0, atol=0)
    emodel = ember.nn.Sequential(ember.nn.Conv2d(1, 2, 3), ember.nn.BatchNorm2d(2),
                                 ember.nn.Flatten(), ember.nn.Linear(8, 3))
    emodel.load_state_dict({k: v for k, v in loaded.items() if k not in ("mask", "half")})
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    tmodel.eval()
    emodel.eval()
    assert_same(emodel(ember.from_numpy(x)), tmodel(torch.from_numpy(x)), rtol=1e-5,
                atol=1e-6)
    ember.save(emodel.state_dict(), tmp_path / "ember.safetensors", format="safetensors")
    back = load_file(str(tmp_path / "ember.safetensors"))
    for k, v in emodel.state_dict().items():
        assert_same(v, back[k], rtol=0, atol=0)


def _file(header: dict, data: bytes, pad: bool = True) -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


@pytest.mark.parametrize("blob,match", [
    (b"abc", "too short"),
    (struct.pack("<Q", 1000) + b"{}", "exceeds the file size"),
    (struct.pack("<Q", 4) + b"nope", "not valid JSON"),
    (_file({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, b"\0" * 8),
     "truncated"),
    (_file({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8),
     "needs 12 bytes"),
    (_file({"w": {"dtype": "Q7", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 4),
     "unsupported dtype"),
    (_file({"w": {"dtype": "F32", "shape": [1]}}, b"\0" * 4), "data_offsets"),
    (_file({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, b"\0" * 9),
     "holds 9"),
])
def test_load_errors(blob, match):
    with pytest.raises(ember.serialization.SafetensorsError, match=match):
        ember.load(io.BytesIO(blob))


def test_save_errors():
    with pytest.raises(TypeError, match="cannot save a set"):
        ember.save({"a": {1, 2}}, io.BytesIO(), format="safetensors")
    with pytest.raises(TypeError, match="expected a Tensor"):
        ember.save(3, io.BytesIO(), format="safetensors")
    with pytest.raises(TypeError, match="dict keys"):
        ember.save({ember.zeros(1): 1}, io.BytesIO(), format="safetensors")
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        ember.save({"a": loop}, io.BytesIO(), format="safetensors")


def roundtrip(obj):
    buf = io.BytesIO()
    ember.save(obj, buf, format="safetensors")
    return ember.load(io.BytesIO(buf.getvalue())), buf.getvalue()


def test_nested_structures_roundtrip():
    shared = ember.arange(3.0)
    obj = {"epoch": 3, "lr": 0.1, "flags": [True, None, "x"], "odd": [math.nan, -math.inf],
           "by_int": {0: shared, 7: {"again": shared, "pair": (1, 2.5)}}, (1, "a"): "key",
           "ordered": OrderedDict([("b", ember.ones(2, dtype=ember.int64)), ("a", 1)]),
           "deep": [[[[ember.zeros(0, 2)]]]]}
    back, raw = roundtrip(obj)
    assert list(back) == list(obj)
    assert back["epoch"] == 3 and back["lr"] == 0.1 and back["flags"] == [True, None, "x"]
    assert math.isnan(back["odd"][0]) and back["odd"][1] == -math.inf
    assert back[(1, "a")] == "key" and back["by_int"][7]["pair"] == (1, 2.5)
    assert back["by_int"][0] is back["by_int"][7]["again"]  # one tensor, stored once
    assert type(back["ordered"]) is OrderedDict and list(back["ordered"]) == ["b", "a"]
    assert_same(back["ordered"]["b"], torch.ones(2, dtype=torch.int64))
    assert back["deep"][0][0][0][0].shape == (0, 2)
    # The tensors are ordinary safetensors entries; the structure is one metadata string.
    plain = load_file_bytes(raw)
    assert len(plain) == 3
    header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
    assert all(isinstance(v, str) for v in header["__metadata__"].values())
    deep: list = [ember.ones(1)]
    for _ in range(200):
        deep = [deep]
    back, _ = roundtrip({"deep": deep})
    for _ in range(201):
        back = back[0] if isinstance(back, list) else back["deep"]
    assert_same(back[0], torch.ones(1))
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ValueError, match="nested too deeply"):
        ember.save(deep, io.BytesIO(), format="safetensors")


def load_file_bytes(raw):
    from safetensors.torch import load

    return load(raw)


def test_model_and_optimizer_state_roundtrip(tmp_path):
    def train(lib, model, opt, steps, seed):
        rng = np.random.default_rng(seed)
        for _ in range(steps):
            x = lib.from_numpy(rng.standard_normal((8, 4)).astype(np.float32))
            opt.zero_grad()
            model(x).pow(2).mean().backward()
            opt.step()

    for make_opt in [lambda p: ember.optim.Adam(p, lr=1e-2, betas=(0.8, 0.9), amsgrad=True),
                     lambda p: ember.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)]:
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Tanh(),
                                    ember.nn.Linear(3, 2))
        opt = make_opt(model.parameters())
        train(ember, model, opt, 3, 0)
        ember.save({"model": model.state_dict(), "optim": opt.state_dict(), "step": 3},
                   tmp_path / "ckpt.safetensors", format="safetensors")
        ckpt = ember.load(tmp_path / "ckpt.safetensors")
        assert ckpt["step"] == 3
        sd = opt.state_dict()
        assert ckpt["optim"]["param_groups"] == sd["param_groups"]
        assert list(ckpt["optim"]["state"]) == list(sd["state"])
        for k, v in sd["state"].items():
            assert list(ckpt["optim"]["state"][k]) == list(v)
            for name, val in v.items():
                assert_same(ckpt["optim"]["state"][k][name], to_torch_like(val), rtol=0,
                            atol=0)
        model2 = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Tanh(),
                                     ember.nn.Linear(3, 2))
        model2.load_state_dict(ckpt["model"])
        opt2 = make_opt(model2.parameters())
        opt2.load_state_dict(ckpt["optim"])
        # Resumed training continues exactly as the uninterrupted run.
        train(ember, model, opt, 2, 1)
        train(ember, model2, opt2, 2, 1)
        for a, b in zip(model.parameters(), model2.parameters()):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        ember.save(opt.state_dict(), tmp_path / "opt.safetensors", format="safetensors")
        assert ember.load(tmp_path / "opt.safetensors")["param_groups"] == \
            opt.state_dict()["param_groups"]


def to_torch_like(v):
    return torch.from_numpy(v.detach().numpy().copy()) if isinstance(v, ember.Tensor) else v


@pytest.mark.parametrize("structure,match", [
    ('{"Z":1}', "unexpected entry"), ('{"T":"missing"}', "no tensor named"),
    ('{"D":[[1]]}', "pair"), ('{"F":"1e999"}', "float"), ("{not json", "not valid JSON"),
    ('{"D":[[{"L":[]},1]]}', "hashable"), ('[1,2]', "unexpected entry"),
])
def test_load_rejects_bad_structures(structure, match):
    # The structure is data: anything but the documented tags is refused, nothing runs.
    header = {"__metadata__": {"ember.kind": "tree", "ember.structure": structure},
              "w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}
    with pytest.raises(ember.serialization.SafetensorsError, match=match):
        ember.load(io.BytesIO(_file(header, b"\0" * 4)))


# -- refusing what the safetensors package refuses -----------------------------------------

_W = {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}


def _blob(header, data: bytes = b"\0" * 4) -> bytes:
    text = (header if isinstance(header, str) else json.dumps(header)).encode()
    return struct.pack("<Q", len(text)) + text + data


def _deep(n: int) -> str:
    return '{"w":' + json.dumps(_W)[:-1] + ',"x":' + "[" * n + "]" * n + "}}"


_REFUSED = {
    "not an object": _blob("[]"), "a string": _blob('"x"'), "empty header": _blob(""),
    "too deep": _blob(_deep(126)), "very deep": _blob(_deep(5000)),
    "metadata of ints": _blob({"__metadata__": {"a": 1}, "w": _W}),
    "metadata a list": _blob({"__metadata__": ["a"], "w": _W}),
    "metadata nested": _blob({"__metadata__": {"a": {"b": "c"}}, "w": _W}),
    "duplicate metadata": _blob('{"__metadata__":{},"__metadata__":{},"w":' + json.dumps(_W)
                                + "}"),
    "three offsets": _blob({"w": dict(_W, data_offsets=[0, 4, 4])}),
    "one offset": _blob({"w": dict(_W, data_offsets=[0])}),
    "negative offset": _blob({"w": dict(_W, data_offsets=[-4, 0])}),
    "float offset": _blob({"w": dict(_W, data_offsets=[0.0, 4])}),
    "bool offset": _blob({"w": dict(_W, data_offsets=[False, 4])}),
    "string offset": _blob({"w": dict(_W, data_offsets=["0", 4])}),
    "reversed offsets": _blob({"w": dict(_W, data_offsets=[4, 0])}),
    "gap": _blob({"w": dict(_W, data_offsets=[4, 8])}, b"\0" * 8),
    "overlap": _blob({"w": _W, "v": _W}),
    "past the buffer": _blob({"w": dict(_W, shape=[2], data_offsets=[0, 8])}),
    "trailing bytes": _blob({"w": _W}, b"\0" * 5),
    "unknown dtype": _blob({"w": dict(_W, dtype="F31")}),
    "lower-case dtype": _blob({"w": dict(_W, dtype="f32")}),
    "float shape": _blob({"w": dict(_W, shape=[1.0])}),
    "bool shape": _blob({"w": dict(_W, shape=[True])}),
    "negative shape": _blob({"w": dict(_W, shape=[-1])}),
    "string shape": _blob({"w": dict(_W, shape="1")}),
    "shape overflow": _blob({"w": dict(_W, shape=[1 << 40, 1 << 40])}),
    "entry a list": _blob({"w": [1]}),
    "missing shape": _blob({"w": {"dtype": "F32", "data_offsets": [0, 4]}}),
    "NaN": _blob('{"w":' + json.dumps(_W)[:-1] + ',"x":NaN}}'),
    "number out of range": _blob('{"w":' + json.dumps(_W)[:-1] + ',"x":1e999}}'),
    "trailing junk": _blob(json.dumps({"w": _W}) + " x"),
    "invalid utf-8": struct.pack("<Q", 4) + b'"\xff"' + b"\0\0",
    "header too large": struct.pack("<Q", 100_000_001) + b"{}",
    "header past the file": struct.pack("<Q", 64) + b"{}",
    "too short": b"\x01\x00",
}


@pytest.mark.parametrize("name", list(_REFUSED))
def test_refuses_every_file_safetensors_refuses(name):
    from safetensors import SafetensorError
    from safetensors.torch import load

    with pytest.raises(SafetensorError):
        load(_REFUSED[name])
    with pytest.raises(ember.serialization.SafetensorsError):
        ember.load(io.BytesIO(_REFUSED[name]))


def test_accepts_what_safetensors_accepts():
    from safetensors.torch import load

    for blob in [_blob({"w": dict(_W, extra={"x": [1, 2]})}), _blob(_deep(124)),
                 _blob({"__metadata__": None, "w": _W}), _blob(" " + json.dumps({"w": _W})),
                 _blob({"a": dict(_W, shape=[0], data_offsets=[0, 0]), "w": _W}),
                 _blob({}, b""), _blob({"__metadata__": {"k": "v"}}, b"")]:
        theirs = load(blob)
        ours = ember.load(io.BytesIO(blob))
        assert list(ours) == sorted(theirs)
        for k, v in theirs.items():
            assert_same(ours[k], v, rtol=0, atol=0)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["F32", "I8", "F16", "BF16", "U16", "X", 3]),
                          st.lists(st.one_of(st.integers(-1, 3), st.just(1.5)), max_size=2),
                          st.lists(st.integers(-2, 12), min_size=1, max_size=3)),
                max_size=3),
       st.integers(0, 12))
def test_refusals_match_safetensors_on_random_headers(entries, size):
    from safetensors.torch import load

    header = {f"t{i}": {"dtype": d, "shape": s, "data_offsets": o}
              for i, (d, s, o) in enumerate(entries)}
    blob = _blob(header, b"\1" * size)
    try:
        theirs = load(blob)
    except Exception:
        theirs = None
    try:
        ours = ember.load(io.BytesIO(blob))
    except ember.serialization.SafetensorsError:
        ours = None
    if theirs is None:
        assert ours is None
    elif ours is not None:
        assert sorted(ours) == sorted(theirs)
        for k, v in theirs.items():
            assert_same(ours[k], v, rtol=0, atol=0)
    else:  # only dtypes ember lacks are refused beyond what safetensors refuses
        assert any(d in ("BF16", "U16") for d, _, _ in entries)


class _CountingReader(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked = 0

    def read(self, n=-1):
        self.asked = max(self.asked, n)
        return super().read(n)


def test_huge_headers_and_endless_files_are_refused_before_reading():
    f = _CountingReader(struct.pack("<Q", 100_000_001) + b"{" * 1000)
    with pytest.raises(ember.serialization.SafetensorsError, match="limit of 100000000"):
        ember.load(f)
    assert f.asked <= 8
    f = _CountingReader(struct.pack("<Q", 16) + b'{"w":' + json.dumps(
        dict(_W, shape=[1 << 30], data_offsets=[0, 1 << 32]))[:11].encode())
    with pytest.raises(ember.serialization.SafetensorsError):
        ember.load(f)
    if os.path.exists("/dev/zero"):
        with pytest.raises(ember.serialization.SafetensorsError, match="not valid JSON"):
            ember.load("/dev/zero")
