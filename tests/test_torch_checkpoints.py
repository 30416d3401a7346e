"""torch's checkpoint formats cross in both directions: torch.save -> ember.load and
ember.save -> torch.load, bit for bit, views kept as views of one storage, and hostile files
refused under weights_only=True without running anything."""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys
import tracemalloc
import warnings
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ember

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _bits(a: np.ndarray) -> tuple:
    return a.dtype, a.shape, np.ascontiguousarray(a).tobytes()


def _same_bits(e, t) -> None:
    assert isinstance(e, ember.Tensor), type(e)
    assert _bits(e.detach().numpy()) == _bits(t.detach().numpy())


def _through(save, load, obj, how, tmp_path, **kw):
    if how == "path":
        save(obj, tmp_path / "ckpt.pt")
        return load(tmp_path / "ckpt.pt", **kw)
    buf = io.BytesIO()
    save(obj, buf)
    buf.seek(0)
    return load(buf, **kw)


def _models(lib):
    lib.manual_seed(0)
    nn = lib.nn
    return nn.ModuleDict({
        "fc": nn.Linear(3, 4), "conv": nn.Conv2d(2, 3, 3), "bn": nn.BatchNorm2d(3),
        "emb": nn.Embedding(5, 2), "lstm": nn.LSTM(2, 3, num_layers=2), "ln": nn.LayerNorm(4),
    })


@pytest.mark.parametrize("how", ["path", "bytesio"])
def test_state_dict_torch_to_ember_to_torch(how, tmp_path):
    tmodel = _models(torch)
    tmodel["bn"](torch.randn(2, 3, 4, 4))  # running statistics and num_batches_tracked = 1
    tsd = tmodel.state_dict()
    esd = _through(torch.save, ember.load, tsd, how, tmp_path)
    assert type(esd) is OrderedDict and list(esd) == list(tsd)
    for k, v in tsd.items():
        _same_bits(esd[k], v)
    assert esd["bn.num_batches_tracked"].item() == 1
    emodel = _models(ember)
    emodel.load_state_dict(esd)
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    np.testing.assert_allclose(emodel["fc"](ember.from_numpy(x)).detach().numpy(),
                               tmodel["fc"](torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    back = _through(ember.save, torch.load, emodel.state_dict(), how, tmp_path,
                    weights_only=True)
    assert list(back) == list(tsd)
    for k, v in back.items():
        _same_bits(esd[k], v)
    torch_again = _models(torch)
    torch_again.load_state_dict(back)


def _adam_state(lib):
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 2)
    opt = lib.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(2):
        opt.zero_grad()
        model(lib.ones(4, 3)).pow(2).sum().backward()
        opt.step()
    return opt.state_dict()


@pytest.mark.parametrize("how", ["path", "bytesio"])
def test_adam_state_dict_both_ways(how, tmp_path):
    tsd = _adam_state(torch)
    esd = _through(torch.save, ember.load, tsd, how, tmp_path)
    assert esd["param_groups"] == tsd["param_groups"]
    for i, state in tsd["state"].items():
        assert list(esd["state"][i]) == list(state)
        for name, v in state.items():
            _same_bits(esd["state"][i][name], v)
    own = _adam_state(ember)
    back = _through(ember.save, torch.load, own, how, tmp_path, weights_only=True)
    assert back["param_groups"] == own["param_groups"]
    for i, state in own["state"].items():
        for name, v in state.items():
            _same_bits(v, back["state"][i][name])
    torch.optim.Adam(torch.nn.Linear(3, 2).parameters()).load_state_dict(back)


def test_views_of_one_storage_stay_views():
    base = torch.arange(12.0).reshape(3, 4)
    views = {"base": base, "row": base[1], "t": base.t(), "cols": base[:, 1:3],
             "wide": base[0].expand(2, 4), "flat": base.view(12)[5:]}
    buf = io.BytesIO()
    torch.save(views, buf)
    buf.seek(0)
    got = ember.load(buf)
    for k, v in views.items():
        a = got[k].numpy()
        assert a.strides == tuple(s * 4 for s in v.stride()), k
        np.testing.assert_array_equal(a, v.numpy())
        assert np.shares_memory(a, got["base"].numpy()), k
    got["base"].numpy()[1, 2] = -1.0
    assert got["row"][2].item() == -1.0 and got["t"][2, 1].item() == -1.0
    ebase = ember.arange(12.0).reshape(3, 4)
    mine = {"base": ebase, "row": ebase[1], "t": ebase.t(), "cols": ebase[:, 1:3],
            "wide": ebase[0].expand(2, 4)}
    buf = io.BytesIO()
    ember.save(mine, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=True)
    ptr = back["base"].untyped_storage().data_ptr()
    for k, v in mine.items():
        assert back[k].untyped_storage().data_ptr() == ptr, k
        assert back[k].stride() == tuple(s // 4 for s in v.numpy().strides), k
        assert back[k].storage_offset() == views[k].storage_offset(), k
        np.testing.assert_array_equal(back[k].numpy(), v.numpy())


@pytest.mark.parametrize("name", DTYPES)
def test_every_dtype_both_ways(name):
    info = np.finfo if "float" in name else np.iinfo if name != "bool" else None
    values = [0, 1, -1, 3] if name != "bool" else [True, False, True, True]
    if info is not None:
        values = [info(name).min, info(name).max, 0, 1]
    values = [v for v in values if name != "uint8" or v >= 0]
    t = torch.tensor(values, dtype=getattr(torch, name))
    obj = {"v": t, "scalar": t[0].clone(), "empty": t[:0].clone().reshape(0, 2)}
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    got = ember.load(buf)
    for k, v in obj.items():
        _same_bits(got[k], v)
    buf = io.BytesIO()
    ember.save(got, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=True)
    for k, v in obj.items():
        assert back[k].dtype == v.dtype and torch.equal(back[k], v)


@pytest.mark.parametrize("dt", [torch.bfloat16, torch.complex64, torch.complex128,
                                torch.uint16, torch.float8_e4m3fn])
def test_dtypes_ember_lacks_are_named(dt):
    buf = io.BytesIO()
    torch.save({"x": torch.zeros(2, dtype=dt)}, buf)
    buf.seek(0)
    with pytest.raises(TypeError, match=f"dtype {dt}, which ember does not support"):
        ember.load(buf)


def test_legacy_format_both_ways():
    t = torch.arange(6, dtype=torch.int16)
    buf = io.BytesIO()
    torch.save({"a": t, "b": t[2:], "f": torch.ones(2)}, buf,
               _use_new_zipfile_serialization=False)
    buf.seek(0)
    got = ember.load(buf)
    _same_bits(got["b"], t[2:])
    _same_bits(got["f"], torch.ones(2))
    assert np.shares_memory(got["a"].numpy(), got["b"].numpy())
    buf = io.BytesIO()
    ember.save(got, buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    back = torch.load(buf, weights_only=True)
    assert torch.equal(back["b"], t[2:]) and torch.equal(back["f"], torch.ones(2))


def test_size_parameter_and_python_values_both_ways():
    obj = {"size": torch.Size([2, 3]), "p": torch.nn.Parameter(torch.ones(2)),
           "frozen": torch.nn.Parameter(torch.zeros(1), requires_grad=False),
           "x": [1, 2.5, "s", None, True, (1, 2)], "b": b"\x00\xff", "dt": torch.float16,
           "od": OrderedDict(z=1, a=2), "set": {1, 2}, "c": 1 + 2j}
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    got = ember.load(buf)
    assert type(got["size"]) is ember.Size and got["size"] == (2, 3)
    assert type(got["p"]) is ember.nn.Parameter and got["p"].requires_grad
    assert not got["frozen"].requires_grad
    assert got["x"] == obj["x"] and got["b"] == obj["b"] and got["set"] == {1, 2}
    assert got["dt"] is ember.float16 and list(got["od"]) == ["z", "a"] and got["c"] == 1 + 2j
    buf = io.BytesIO()
    ember.save(got, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=True)
    assert type(back["size"]) is torch.Size and back["size"] == (2, 3)
    assert type(back["p"]) is torch.nn.Parameter and back["p"].requires_grad
    assert back["dt"] is torch.float16 and back["x"] == obj["x"] and back["b"] == obj["b"]


def test_whole_objects_need_weights_only_false(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    torch.save(model, tmp_path / "model.pt")
    with pytest.raises(pickle.UnpicklingError) as ours:
        ember.load(tmp_path / "model.pt")
    with pytest.raises(pickle.UnpicklingError) as theirs:
        torch.load(tmp_path / "model.pt")
    assert str(ours.value) == str(theirs.value)
    loaded = ember.load(tmp_path / "model.pt", weights_only=False)
    assert isinstance(loaded, ember.nn.Sequential)
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    expected = model(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(loaded(ember.from_numpy(x)).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)
    # ember's own modules and NumPy arrays, in the same format.
    ember.save({"model": loaded, "array": np.arange(3)}, tmp_path / "own.pt")
    again = ember.load(tmp_path / "own.pt", weights_only=False)
    np.testing.assert_array_equal(again["array"], np.arange(3))
    np.testing.assert_allclose(again["model"](ember.from_numpy(x)).detach().numpy(), expected,
                               rtol=1e-5, atol=1e-6)


def test_safe_globals_allow_a_class():
    buf = io.BytesIO()
    torch.save({"n": Point(1, 2)}, buf)
    buf.seek(0)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL test_torch_checkpoints.Point was "
                                                     "not an allowed global by default"):
        ember.load(buf)
    with ember.serialization.safe_globals([Point]):
        buf.seek(0)
        assert ember.load(buf)["n"] == Point(1, 2)
    assert ember.serialization.get_safe_globals() == []
    ember.serialization.add_safe_globals([Point])
    try:
        buf.seek(0)
        assert ember.load(buf)["n"] == Point(1, 2)
    finally:
        ember.serialization.clear_safe_globals()


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __eq__(self, other):
        return (self.x, self.y) == (other.x, other.y)


def _rezip(raw: bytes, pkl: bytes | None = None, records: dict | None = None,
           compress: int = zipfile.ZIP_STORED) -> io.BytesIO:
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as z:
        for n in src.namelist():
            data = src.read(n)
            if n.endswith("/data.pkl") and pkl is not None:
                data = pkl
            z.writestr(n, (records or {}).get(n.split("/", 1)[1], data))
    out.seek(0)
    return out


def _saved(obj) -> tuple:
    buf = io.BytesIO()
    torch.save(obj, buf)
    raw = buf.getvalue()
    return raw, zipfile.ZipFile(io.BytesIO(raw)).read("archive/data.pkl")


def _both_fail(make, exc=RuntimeError, **kw) -> str:
    with pytest.raises(exc) as theirs:
        torch.load(make(), **kw)
    with pytest.raises(exc) as ours:
        ember.load(make(), **kw)
    assert str(ours.value).split("\n")[0] == str(theirs.value).split("\n")[0]
    return str(ours.value)


def test_gpu_checkpoints_load_with_map_location():
    raw, pkl = _saved({"a": torch.ones(2)})
    cuda = pkl.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
    _both_fail(lambda: _rezip(raw, cuda))
    _both_fail(lambda: _rezip(raw, cuda), map_location="cuda")
    with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
        ember.load(_rezip(raw, cuda), map_location=lambda s, loc: s.cuda())
    for where in ["cpu", ember.device("cpu"), {"cuda:0": "cpu"}, lambda s, loc: s]:
        _same_bits(ember.load(_rezip(raw, cuda), map_location=where)["a"], torch.ones(2))


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("legacy", [False, True])
def test_reduce_that_runs_code_is_refused(legacy, tmp_path):
    marker = tmp_path / "marker"
    buf = io.BytesIO()
    torch.save({"x": _Evil(marker)}, buf, _use_new_zipfile_serialization=not legacy)
    for how in (buf.getvalue(), pickle.dumps(_Evil(marker), protocol=2)):
        with pytest.raises(pickle.UnpicklingError, match="GLOBAL posix.system|is blocked"):
            ember.load(io.BytesIO(how))
    assert not marker.exists()


@pytest.mark.parametrize("target", [b"os\nsystem", b"builtins\neval", b"subprocess\nPopen",
                                    b"__builtin__\nexec", b"builtins\ngetattr"])
def test_dangerous_globals_are_refused_as_torch_refuses_them(target, tmp_path):
    raw, _ = _saved({})
    pkl = b"\x80\x02c" + target + b"\nq\x00X\x04\x00\x00\x00echoq\x01\x85q\x02Rq\x03."
    text = _both_fail(lambda: _rezip(raw, pkl), exc=pickle.UnpicklingError)
    assert text == str(pytest.raises(pickle.UnpicklingError, torch.load, _rezip(raw, pkl)).value)


def test_unsupported_opcodes_are_refused():
    raw, _ = _saved({})
    pkl = pickle.dumps([1, 2], protocol=4)
    with pytest.warns(UserWarning, match="Detected pickle protocol 4"):
        _both_fail(lambda: _rezip(raw, pkl), exc=pickle.UnpicklingError)


def test_broken_archives_are_refused():
    raw, pkl = _saved({"a": torch.arange(6.0)})
    for cut in range(0, len(raw), len(raw) // 9):
        with pytest.raises((RuntimeError, pickle.UnpicklingError, EOFError)):
            ember.load(io.BytesIO(raw[:cut]))
    # A record shorter than its storage's element count says, and a tensor that claims more of
    # its storage than there is.
    _both_fail(lambda: _rezip(raw, records={"data/0": b"\0" * 8}))
    _both_fail(lambda: _rezip(raw, pkl.replace(b"K\x06t", b"K\x07t", 1)))
    _both_fail(lambda: _rezip(raw, pkl.replace(b"K\x06\x85", b"K\x07\x85", 1)))
    _both_fail(lambda: _rezip(raw, records={"data/0": b"\0" * 8}))
    missing = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in missing.namelist():
            if not n.endswith("data/0"):
                z.writestr(n, missing.read(n))
    _both_fail(lambda: io.BytesIO(out.getvalue()))


def test_absurd_sizes_allocate_nothing():
    raw, pkl = _saved({"a": torch.arange(6.0)})
    huge_numel = pkl.replace(b"K\x06t", b"\x8a\x08" + struct.pack("<q", 1 << 60) + b"t", 1)
    huge_size = pkl.replace(b"K\x06\x85", b"\x8a\x06" + struct.pack("<q", 1 << 40)[:6] + b"\x85",
                            1)
    buf = io.BytesIO()
    torch.save({"a": torch.arange(6.0)}, buf, _use_new_zipfile_serialization=False)
    legacy = buf.getvalue().replace(b"K\x06N", b"\x8a\x08" + struct.pack("<q", 1 << 60) + b"N")
    tracemalloc.start()
    try:
        for make in (lambda: _rezip(raw, huge_numel), lambda: _rezip(raw, huge_size)):
            _both_fail(make)
        with pytest.raises(RuntimeError, match="more than the file holds"):
            ember.load(io.BytesIO(legacy))
        assert tracemalloc.get_traced_memory()[1] < 4 * len(raw) + (1 << 20)
    finally:
        tracemalloc.stop()


def test_zip_bomb_is_refused_without_inflating():
    raw, _ = _saved({"a": torch.zeros(4)})
    bomb = _rezip(raw, records={"data/0": b"\0" * (64 << 20)}, compress=zipfile.ZIP_DEFLATED)
    assert len(bomb.getvalue()) < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match="compressed"):
            ember.load(bomb)
        assert tracemalloc.get_traced_memory()[1] < 8 << 20
    finally:
        tracemalloc.stop()


def test_torch_tensors_and_arrays_load_into_ember():
    tmodel = torch.nn.Linear(2, 3)
    emodel = ember.nn.Linear(2, 3)
    emodel.load_state_dict(tmodel.state_dict())
    _same_bits(emodel.weight, tmodel.weight)
    emodel.load_state_dict({"weight": np.ones((3, 2), np.float32), "bias": np.zeros(3)})
    np.testing.assert_array_equal(emodel.weight.detach().numpy(), np.ones((3, 2)))
    assert emodel.bias.dtype == ember.float32
    _same_bits(ember.tensor(tmodel.weight), tmodel.weight)  # requires grad: no __array__
    assert not ember.tensor(tmodel.weight).requires_grad
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.1, momentum=0.9)
    tmodel(torch.ones(1, 2)).sum().backward()
    topt.step()
    eopt = ember.optim.SGD(emodel.parameters(), lr=0.1, momentum=0.9)
    eopt.load_state_dict(topt.state_dict())
    buf = eopt.state_dict()["state"][0]["momentum_buffer"]
    _same_bits(buf, topt.state_dict()["state"][0]["momentum_buffer"])


def test_archive_records_follow_torch(tmp_path):
    ember.save({"w": ember.ones(3)}, tmp_path / "my.model.pt")
    torch.save({"w": torch.ones(3)}, tmp_path / "t.pt")
    with zipfile.ZipFile(tmp_path / "my.model.pt") as mine, \
            zipfile.ZipFile(tmp_path / "t.pt") as theirs:
        assert mine.namelist() == [n.replace("t/", "my.model/", 1) for n in theirs.namelist()]
        at = mine.getinfo("my.model/data/0").header_offset
        byteorder = mine.read("my.model/byteorder")
    raw = (tmp_path / "my.model.pt").read_bytes()
    name_len, extra_len = struct.unpack("<HH", raw[at + 26:at + 30])
    assert (at + 30 + name_len + extra_len) % 64 == 0  # aligned as torch aligns storages
    assert byteorder == sys.byteorder.encode()


def test_legacy_whole_module_and_unsafe_globals_listing():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    buf = io.BytesIO()
    torch.save(model, buf, _use_new_zipfile_serialization=False)
    buf.seek(0)
    loaded = ember.load(buf, weights_only=False)
    assert isinstance(loaded[0], ember.nn.Linear)
    _same_bits(loaded[0].weight, model[0].weight)
    buf = io.BytesIO()
    torch.save({"m": model, "b": torch.zeros(1, dtype=torch.bfloat16), "p": Point(0, 0)}, buf)
    listing = torch.serialization.get_unsafe_globals_in_checkpoint(io.BytesIO(buf.getvalue()))
    buf.seek(0)
    assert ember.serialization.get_unsafe_globals_in_checkpoint(buf) == sorted(listing)
    with pytest.raises(pickle.UnpicklingError, match="ember does not have"):
        ember.load(_rezip(_saved({})[0], b"\x80\x02ctorch.nn.modules.fancy\nNope\nq\x00)\x81."),
                   weights_only=False)


def test_migration_page_round_trip_runs(tmp_path, monkeypatch):
    with open(os.path.join(os.path.dirname(__file__), "..", "docs", "migration.md")) as f:
        text = f.read()
    section = text[text.index("## Checkpoints"):]
    code = section[section.index("```python") + len("```python"):section.index("```\n", 10)]
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    space = {"torch_model": torch.nn.Linear(3, 2), "ember_model": ember.nn.Linear(3, 2)}
    exec(code, space)
    _same_bits(space["ember_model"].weight, space["torch_model"].weight)
    assert (tmp_path / "model.pt").exists() and (tmp_path / "ember.pt").exists()


def test_torch_names_allowlisted_as_ember_classes(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 3)
    torch.save(model, tmp_path / "linear.pt")
    with ember.serialization.safe_globals([ember.nn.Linear]):
        loaded = ember.load(tmp_path / "linear.pt")
    _same_bits(loaded.weight, model.weight)
    # What ember writes can be memory-mapped by torch: storages are aligned as torch's are.
    ember.save(loaded.state_dict(), tmp_path / "state.pt")
    mapped = torch.load(tmp_path / "state.pt", mmap=True)
    _same_bits(loaded.bias, mapped["bias"])


def test_big_endian_archives_are_byteswapped():
    t = torch.arange(4, dtype=torch.float32) + 0.5
    raw, _ = _saved({"t": t, "i": torch.tensor([1, -2], dtype=torch.int16)})
    src = zipfile.ZipFile(io.BytesIO(raw))
    swapped = {"byteorder": b"big",
               "data/0": t.numpy().astype(">f4").tobytes(),
               "data/1": np.array([1, -2], ">i2").tobytes()}
    _both = [lib.load(_rezip(raw, records=swapped)) for lib in (torch, ember)]
    assert src.read("archive/byteorder") == b"little"
    for k in ("t", "i"):
        _same_bits(_both[1][k], _both[0][k])


_SAMPLE = _saved(OrderedDict(a=torch.arange(6.0).reshape(2, 3), p=torch.nn.Parameter(
    torch.ones(2)), s=torch.Size([2]), n=[1, 2.5, "x", None, True]))


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.booleans()),
                min_size=1, max_size=4),
       st.booleans())
def test_damaged_files_fail_cleanly(edits, whole_file):
    raw, pkl = _SAMPLE
    data = bytearray(raw if whole_file else pkl)
    for at, value, insert in edits:
        at %= len(data)
        if insert:
            data.insert(at, value)
        else:
            data[at] = value
    f = io.BytesIO(bytes(data)) if whole_file else _rezip(raw, bytes(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # other pickle protocols
            ember.load(f)
    except (pickle.UnpicklingError, RuntimeError, TypeError, ValueError, EOFError):
        pass


def test_save_errors_as_torch(tmp_path):
    missing = tmp_path / "no" / "such" / "dir.pt"
    _both_fail_save = [pytest.raises(RuntimeError, lib.save, 1, missing).value
                       for lib in (torch, ember)]
    assert str(_both_fail_save[0]) == str(_both_fail_save[1])
    unpicklable = [pytest.raises((pickle.PicklingError, AttributeError), lib.save, lambda: 1,
                                 io.BytesIO()).value
                   for lib in (torch, ember)]
    assert type(unpicklable[0]) is type(unpicklable[1])
    with pytest.raises(ValueError, match="protocols 2 and 3"):
        ember.save(1, io.BytesIO(), pickle_protocol=4)
    with pytest.raises(ValueError, match="format"):
        ember.save(1, io.BytesIO(), format="onnx")
