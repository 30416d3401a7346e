"""ember.save / ember.load: tensors and state dicts in the safetensors format.

A file is an 8-byte little-endian header length, a JSON header mapping each name to its
dtype, shape and byte range, then the raw little-endian bytes. Loading parses JSON and
copies bytes: it never runs code, so a file from anywhere is safe to open.
"""

from __future__ import annotations

import json
import os
import struct
from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any, Union

import numpy as np

from ._tensor import Tensor

__all__ = ["save", "load", "SafetensorsError"]

FileLike = Union[str, os.PathLike, IO[bytes]]

_TO_CODE = {np.dtype(np.float64): "F64", np.dtype(np.float32): "F32",
            np.dtype(np.float16): "F16", np.dtype(np.int64): "I64", np.dtype(np.int32): "I32",
            np.dtype(np.int16): "I16", np.dtype(np.int8): "I8", np.dtype(np.uint8): "U8",
            np.dtype(np.bool_): "BOOL"}
_FROM_CODE = {v: k for k, v in _TO_CODE.items()}
_SINGLE = "__tensor__"
_KIND = "ember.kind"
_MAX_HEADER = 100_000_000


class SafetensorsError(RuntimeError):
    """A file that is not a valid safetensors file, or does not match its header."""


def _payload(obj: Any) -> tuple:
    if isinstance(obj, Tensor):
        return {_SINGLE: obj}, {_KIND: "tensor"}
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"ember.save: state dict keys must be strings, got "
                                f"{type(k).__name__}")
            if not isinstance(v, Tensor):
                raise TypeError(f"ember.save: only tensors can be saved, but '{k}' is a "
                                f"{type(v).__name__}")
        return dict(obj), {_KIND: "dict"}
    raise TypeError(f"ember.save: expected a Tensor or a dict of Tensors, got "
                    f"{type(obj).__name__}")


def save(obj: Any, f: FileLike, metadata: dict | None = None) -> None:
    """Saves a tensor or a dict of tensors (a state dict) to a file in the safetensors
    format."""
    tensors, meta = _payload(obj)
    if metadata:
        meta.update({str(k): str(v) for k, v in metadata.items()})
    header: dict = {"__metadata__": meta}
    chunks = []
    offset = 0
    for name, t in tensors.items():
        arr = t._data
        code = _TO_CODE.get(arr.dtype)
        if code is None:
            raise TypeError(f"ember.save: dtype {t.dtype} of '{name}' cannot be stored")
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False)
        data = raw.tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    blob = struct.pack("<Q", len(text)) + text + b"".join(chunks)
    if hasattr(f, "write"):
        f.write(blob)  # type: ignore[union-attr]
    else:
        with open(f, "wb") as fh:  # type: ignore[arg-type]
            fh.write(blob)


def _read(f: FileLike) -> bytes:
    if hasattr(f, "read"):
        return f.read()  # type: ignore[union-attr]
    with open(f, "rb") as fh:  # type: ignore[arg-type]
        return fh.read()


def load(f: FileLike, map_location: Any = None, weights_only: bool = True,
         **kwargs: Any) -> Any:
    """Loads a tensor or a dict of tensors saved with ember.save (or any safetensors file,
    such as one written by the safetensors package from a torch state dict)."""
    blob = _read(f)
    if len(blob) < 8:
        raise SafetensorsError(f"invalid safetensors file: {len(blob)} bytes is too short to "
                               "hold the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > _MAX_HEADER or 8 + n > len(blob):
        raise SafetensorsError(f"invalid safetensors file: header length {n} exceeds the file "
                               f"size ({len(blob)} bytes)")
    try:
        header = json.loads(blob[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"invalid safetensors header: not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError("invalid safetensors header: expected a JSON object")
    data = memoryview(blob)[8 + n:]
    meta = header.pop("__metadata__", None) or {}
    out: OrderedDict = OrderedDict()
    for name, info in sorted(header.items(), key=lambda kv: _start(kv)):
        out[name] = _tensor(name, info, data)
    ends = [info["data_offsets"][1] for info in header.values()]
    if ends and max(ends) != len(data):
        raise SafetensorsError(f"invalid safetensors file: the header describes "
                               f"{max(ends)} bytes of data but the file holds {len(data)}")
    if meta.get(_KIND) == "tensor" and list(out) == [_SINGLE]:
        return out[_SINGLE]
    return out


def _start(item: tuple) -> int:
    name, info = item
    try:
        return int(info["data_offsets"][0])
    except (TypeError, KeyError, IndexError, ValueError):
        raise SafetensorsError(f"invalid safetensors header: entry '{name}' has no valid "
                               "data_offsets") from None


def _tensor(name: str, info: Any, data: memoryview) -> Tensor:
    if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
        raise SafetensorsError(f"invalid safetensors header: entry '{name}' needs dtype, shape "
                               "and data_offsets")
    dt = _FROM_CODE.get(info["dtype"])
    if dt is None:
        raise SafetensorsError(f"unsupported dtype {info['dtype']!r} for tensor '{name}'")
    shape = info["shape"]
    if not isinstance(shape, list) or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise SafetensorsError(f"invalid shape {shape!r} for tensor '{name}'")
    begin, end = info["data_offsets"]
    if not (isinstance(begin, int) and isinstance(end, int)) or begin < 0 or end < begin:
        raise SafetensorsError(f"invalid data_offsets [{begin}, {end}] for tensor '{name}'")
    if end > len(data):
        raise SafetensorsError(f"truncated safetensors file: tensor '{name}' needs bytes "
                               f"[{begin}, {end}) but the data section holds {len(data)}")
    count = 1
    for s in shape:
        count *= s
    if count * dt.itemsize != end - begin:
        raise SafetensorsError(f"tensor '{name}' has shape {shape} and dtype {info['dtype']}, "
                               f"which needs {count * dt.itemsize} bytes, but its data_offsets "
                               f"span {end - begin}")
    arr = np.frombuffer(data[begin:end], dtype=dt.newbyteorder("<")).astype(dt, copy=True)
    return Tensor._make(arr.reshape(shape))
