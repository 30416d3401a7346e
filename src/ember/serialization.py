"""ember.save / ember.load: tensors and state dicts in the safetensors format.

A file is an 8-byte little-endian header length, a JSON header mapping each name to its
dtype, shape and byte range, then the raw little-endian bytes. Loading parses JSON and
copies bytes: it never runs code, so a file from anywhere is safe to open.

A tensor or a flat dict of tensors is stored as plain safetensors. Anything else built of
dicts, lists, tuples, numbers, strings, None and tensors (an optimizer's state_dict, a
checkpoint of several state dicts) keeps its tensors as safetensors entries and its shape as
one JSON string in the header's `__metadata__`, where each container is a tagged object:
{"D": [[key, value], ...]} a dict (keys of any of these kinds, in order), {"O": ...} an
OrderedDict, {"L": [...]} a list, {"U": [...]} a tuple, {"T": name} a tensor entry and
{"F": "nan" | "inf" | "-inf"} a float JSON cannot hold.
"""

from __future__ import annotations

import json
import math
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
_TREE = "ember.structure"
_MAX_HEADER = 100_000_000


class SafetensorsError(RuntimeError):
    """A file that is not a valid safetensors file, or does not match its header."""


def _payload(obj: Any) -> tuple:
    if isinstance(obj, Tensor):
        return {_SINGLE: obj}, {_KIND: "tensor"}
    if isinstance(obj, Mapping) and all(isinstance(k, str) and isinstance(v, Tensor)
                                        for k, v in obj.items()):
        return dict(obj), {_KIND: "dict"}
    if not isinstance(obj, (Mapping, list, tuple)):
        raise TypeError(f"ember.save: expected a Tensor, or dicts, lists and tuples of tensors "
                        f"and Python values, got {type(obj).__name__}")
    tensors: dict = {}
    tree = _encode(obj, tensors)
    try:
        text = json.dumps(tree, separators=(",", ":"), allow_nan=False)
    except RecursionError:
        raise ValueError("ember.save: the object is nested too deeply to store") from None
    return tensors, {_KIND: "tree", _TREE: text}


def _encode(root: Any, tensors: dict) -> Any:
    # Iterative, so deep nesting cannot exhaust the stack: each work item fills one slot of
    # its parent's encoded list.
    names: dict = {}
    out: list = [None]
    work: list = [(root, out, 0, "")]
    active: set = set()
    while work:
        obj, parent, slot, path = work.pop()
        if obj is _LEAVE:
            active.discard(parent)
            continue
        if isinstance(obj, Tensor):
            name = names.get(id(obj))
            if name is None:
                name = path or "tensor"
                while name in tensors:
                    name += "'"
                names[id(obj)] = name
                tensors[name] = obj
            parent[slot] = {"T": name}
        elif obj is None or isinstance(obj, (bool, int, str)):
            parent[slot] = obj
        elif isinstance(obj, float):
            parent[slot] = obj if math.isfinite(obj) else {"F": repr(obj)}
        elif isinstance(obj, (Mapping, list, tuple)):
            if id(obj) in active:
                raise ValueError("ember.save: the object contains itself")
            active.add(id(obj))
            work.append((_LEAVE, id(obj), 0, ""))
            if isinstance(obj, Mapping):
                items: list = [[None, None] for _ in obj]
                tag = "O" if isinstance(obj, OrderedDict) else "D"
                for pair, (k, v) in zip(items, obj.items()):
                    if isinstance(k, (Tensor, Mapping, list)):
                        raise TypeError(f"ember.save: dict keys must be numbers, strings, "
                                        f"tuples or None, got {type(k).__name__}")
                    sub = f"{path}.{k}" if path else str(k)
                    work.append((k, pair, 0, sub))
                    work.append((v, pair, 1, sub))
                parent[slot] = {tag: items}
            else:
                seq: list = [None] * len(obj)
                for i, v in enumerate(obj):
                    work.append((v, seq, i, f"{path}.{i}" if path else str(i)))
                parent[slot] = {"L" if isinstance(obj, list) else "U": seq}
        else:
            raise TypeError(f"ember.save: cannot save a {type(obj).__name__}"
                            + (f" (at '{path}')" if path else ""))
    return out[0]


_LEAVE = object()


def _decode(tree: Any, tensors: dict) -> Any:
    # The inverse of _encode, also iterative; anything it does not know is an error.
    out: list = [None]
    work: list = [(tree, out, 0)]
    pending: list = []
    while work:
        node, parent, slot = work.pop()
        if node is None or isinstance(node, (bool, int, float, str)):
            parent[slot] = node
            continue
        if not isinstance(node, dict) or len(node) != 1:
            raise SafetensorsError("invalid ember structure: unexpected entry "
                                   f"{_brief(node)}")
        (tag, body), = node.items()
        if tag == "T":
            if not isinstance(body, str) or body not in tensors:
                raise SafetensorsError(f"invalid ember structure: no tensor named {body!r}")
            parent[slot] = tensors[body]
        elif tag == "F":
            if body not in ("nan", "inf", "-inf"):
                raise SafetensorsError(f"invalid ember structure: float {body!r}")
            parent[slot] = float(body)
        elif tag in ("L", "U") and isinstance(body, list):
            seq: list = [None] * len(body)
            for i, v in enumerate(body):
                work.append((v, seq, i))
            if tag == "U":
                pending.append((seq, parent, slot, tuple))
            parent[slot] = seq
        elif tag in ("D", "O") and isinstance(body, list):
            pairs: list = []
            for pair in body:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise SafetensorsError("invalid ember structure: a dict entry is not a "
                                           "[key, value] pair")
                kv: list = [None, None]
                pairs.append(kv)
                work.append((pair[0], kv, 0))
                work.append((pair[1], kv, 1))
            pending.append((pairs, parent, slot, OrderedDict if tag == "O" else dict))
        else:
            raise SafetensorsError(f"invalid ember structure: unexpected entry {_brief(node)}")
    # Containers are finished innermost first (they were found outermost first), so tuple
    # members and dict keys are complete when their container is built.
    for items, parent, slot, kind in reversed(pending):
        if kind is tuple:
            parent[slot] = tuple(items)
        else:
            try:
                parent[slot] = kind((k, v) for k, v in items)
            except TypeError:
                raise SafetensorsError("invalid ember structure: a dict key is not "
                                       "hashable") from None
    return out[0]


def _brief(node: Any) -> str:
    text = json.dumps(node)
    return text if len(text) <= 60 else text[:57] + "..."


def save(obj: Any, f: FileLike, metadata: dict | None = None) -> None:
    """Saves a tensor, a dict of tensors (a state dict), or dicts, lists and tuples of
    tensors and Python numbers, strings and None (an optimizer's state dict, a checkpoint)
    to a file in the safetensors format."""
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
    """Loads what ember.save saved (a tensor, a state dict, nested dicts and lists of tensors
    and Python values), or the tensors of any safetensors file, such as one written by the
    safetensors package from a torch state dict."""
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
    if meta.get(_KIND) == "tree" and isinstance(meta.get(_TREE), str):
        try:
            tree = json.loads(meta[_TREE])
        except json.JSONDecodeError as e:
            raise SafetensorsError(f"invalid ember structure: not valid JSON ({e})") from None
        except RecursionError:
            raise SafetensorsError("invalid ember structure: nested too deeply") from None
        return _decode(tree, out)
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
