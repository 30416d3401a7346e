"""ember.save / ember.load: the safetensors format, files written by the safetensors package
from torch state dicts, and clear errors for broken files."""

from __future__ import annotations

import io
import json
import struct

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file

import ember
from helpers import assert_same


def test_roundtrip_tensor_and_state_dict(tmp_path):
    t = ember.arange(12, dtype=ember.float64).reshape(3, 4)
    ember.save(t, tmp_path / "t.safetensors")
    back = ember.load(tmp_path / "t.safetensors")
    assert isinstance(back, ember.Tensor)
    assert_same(back, torch.arange(12, dtype=torch.float64).reshape(3, 4))
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(3, 4), ember.nn.BatchNorm1d(4))
    buf = io.BytesIO()
    ember.save(model.state_dict(), buf)
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
    ember.save(emodel.state_dict(), tmp_path / "ember.safetensors")
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
    with pytest.raises(TypeError, match="only tensors"):
        ember.save({"a": 1}, io.BytesIO())
    with pytest.raises(TypeError, match="expected a Tensor"):
        ember.save([ember.zeros(1)], io.BytesIO())
