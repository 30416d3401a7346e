"""The safetensors format: what ember.save(obj, f, format="safetensors") writes, and any
safetensors file ember.load is given.

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
import re
import struct
from collections import OrderedDict
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from .._tensor import Tensor
from ._files import read_at_most

__all__ = ["save_safetensors", "load_safetensors", "SafetensorsError"]

_TO_CODE = {np.dtype(np.float64): "F64", np.dtype(np.float32): "F32",
            np.dtype(np.float16): "F16", np.dtype(np.int64): "I64", np.dtype(np.int32): "I32",
            np.dtype(np.int16): "I16", np.dtype(np.int8): "I8", np.dtype(np.uint8): "U8",
            np.dtype(np.bool_): "BOOL"}
_FROM_CODE = {v: k for k, v in _TO_CODE.items()}
_SINGLE = "__tensor__"
_KIND = "ember.kind"
_TREE = "ember.structure"
MAX_HEADER_LENGTH = 100_000_000


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


def save_safetensors(obj: Any, fh: IO[bytes], metadata: dict | None = None) -> None:
    """Writes a tensor, a dict of tensors (a state dict), or dicts, lists and tuples of
    tensors and Python numbers, strings and None (an optimizer's state dict, a checkpoint)
    to fh in the safetensors format, with metadata (str to str) in its header."""
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
    fh.write(struct.pack("<Q", len(text)))
    fh.write(text)
    for data in chunks:
        fh.write(data)


# Every dtype the safetensors format names, with its size in bits: a header naming any
# other is refused, as the safetensors package refuses it.
_BITS = {"BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8, "F8_E5M2": 8,
         "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8, "I16": 16, "U16": 16,
         "F16": 16, "BF16": 16, "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64,
         "I64": 64, "U64": 64}
_FIELDS = ("dtype", "shape", "data_offsets")
_USIZE = 1 << 64
# serde_json, which the safetensors package parses headers with, refuses arrays and objects
# nested deeper than this.
_MAX_DEPTH = 127
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def load_safetensors(fh: IO[bytes], start: bytes = b"") -> Any:
    """Reads a safetensors file from fh (whose first bytes, already read, are start): the
    tensors by name, or what ember.save stored when ember wrote it. Refuses, with
    SafetensorsError, every file the safetensors package refuses, before reading more of it
    than its header describes."""
    head = start + read_at_most(fh, 8 - len(start))
    if len(head) < 8:
        raise SafetensorsError(f"invalid safetensors file: {len(head)} bytes is too short to "
                               "hold the 8-byte header length")
    (n,) = struct.unpack("<Q", head)
    if n > MAX_HEADER_LENGTH:
        raise SafetensorsError(f"invalid safetensors file: header length {n} is larger than "
                               f"the safetensors limit of {MAX_HEADER_LENGTH} bytes")
    text = read_at_most(fh, n)
    if len(text) < n:
        raise SafetensorsError(f"invalid safetensors file: header length {n} exceeds the file "
                               f"size ({8 + len(text)} bytes)")
    meta, entries = _parse_header(text)
    total = entries[-1][4] if entries else 0
    data = read_at_most(fh, total + 1)
    for name, _code, _shape, begin, end in entries:
        if end > len(data):
            raise SafetensorsError(f"truncated safetensors file: tensor '{name}' needs bytes "
                                   f"[{begin}, {end}) but the data section holds {len(data)}")
    if len(data) > total:
        raise SafetensorsError(f"invalid safetensors file: the header describes {total} bytes "
                               f"of data but the file holds {_rest(fh, total)}")
    out: OrderedDict = OrderedDict()
    for name, code, shape, begin, end in entries:
        dt = _FROM_CODE.get(code)
        if dt is None:
            raise SafetensorsError(f"unsupported dtype {code!r} for tensor '{name}': ember has "
                                   "no such dtype")
        arr = np.frombuffer(data, dtype=dt.newbyteorder("<"), count=(end - begin) // dt.itemsize,
                            offset=begin).astype(dt, copy=True)
        out[name] = Tensor._make(arr.reshape(shape))
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


def _rest(fh: IO[bytes], total: int) -> str:
    # How much data a file holds past its header, when it can tell without being read.
    try:
        here = fh.tell()
        end = fh.seek(0, 2)
        fh.seek(here)
    except (AttributeError, OSError, ValueError):
        return "more"
    size = end - here + total + 1
    return str(size) if size > total else "more"


def _parse_header(text: bytes) -> tuple:
    """The header's metadata and its entries (name, dtype code, shape, begin, end) in the
    order of their bytes, checked as the safetensors package checks them."""
    try:
        s = text.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SafetensorsError(f"invalid safetensors header: not valid UTF-8 ({e})") from None
    brackets = np.frombuffer(_STRING.sub("", s).encode("utf-8"), np.uint8)
    steps = np.isin(brackets, (0x5B, 0x7B)).astype(np.int64) - np.isin(brackets, (0x5D, 0x7D))
    if steps.size and int(np.cumsum(steps).max()) > _MAX_DEPTH:
        raise SafetensorsError(f"invalid safetensors header: JSON nested deeper than "
                               f"{_MAX_DEPTH} levels")
    try:
        header = json.loads(s, object_pairs_hook=_object, parse_constant=_not_json,
                            parse_float=_finite_float)
    except (json.JSONDecodeError, ValueError) as e:
        raise SafetensorsError(f"invalid safetensors header: not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise SafetensorsError("invalid safetensors header: expected a JSON object")
    meta = header.pop("__metadata__", None)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise SafetensorsError("invalid safetensors header: __metadata__ must map strings to "
                               "strings")
    entries = [_entry(name, info) for name, info in header.items()]
    entries.sort(key=lambda e: (e[3], e[4]))
    offset = 0
    for name, code, shape, begin, end in entries:
        if begin != offset or end < begin:
            raise SafetensorsError(f"invalid data_offsets [{begin}, {end}] for tensor '{name}': "
                                   "tensors must cover the data section in order, without "
                                   "gaps or overlaps")
        count = 1
        for s_ in shape:
            count *= s_
        nbytes = (count * _BITS[code] + 7) // 8
        if count * _BITS[code] >= _USIZE:
            raise SafetensorsError(f"tensor '{name}' has shape {shape}, whose size overflows")
        if nbytes != end - begin:
            raise SafetensorsError(f"tensor '{name}' has shape {shape} and dtype {code}, which "
                                   f"needs {nbytes} bytes, but its data_offsets span "
                                   f"{end - begin}")
        offset = end
    return meta, entries


def _entry(name: str, info: Any) -> tuple:
    if not isinstance(info, dict) or not set(_FIELDS) <= set(info):
        raise SafetensorsError(f"invalid safetensors header: entry '{name}' needs dtype, shape "
                               "and data_offsets")
    code = info["dtype"]
    if not isinstance(code, str) or code not in _BITS:
        raise SafetensorsError(f"unsupported dtype {code!r} for tensor '{name}'")
    shape = info["shape"]
    if not isinstance(shape, list) or not all(_is_usize(s) for s in shape):
        raise SafetensorsError(f"invalid shape {shape!r} for tensor '{name}'")
    offsets = info["data_offsets"]
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(map(_is_usize, offsets))):
        raise SafetensorsError(f"invalid data_offsets {offsets!r} for tensor '{name}': "
                               "expected two non-negative integers")
    return name, code, shape, offsets[0], offsets[1]


def _is_usize(v: Any) -> bool:
    return type(v) is int and 0 <= v < _USIZE


def _object(pairs: list) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out and (k == "__metadata__" or k in _FIELDS):
            raise ValueError(f"duplicate field {k!r}")
        out[k] = v
    return out


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"number out of range: {text}")
    return v
