"""ember.save / ember.load: the safetensors format, files written by the safetensors package
from torch state dicts, and clear errors for broken files."""

from __future__ import annotations

import io
import json
import math
import struct
from collections import OrderedDict

import numpy as np
import pytest
import torch
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
     "holds more"),
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
