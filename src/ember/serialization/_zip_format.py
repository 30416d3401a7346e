"""torch's zip format, the one torch.save writes by default: an uncompressed zip archive
whose records all lie under one folder (the file's stem, or ``archive`` for a file object):
``data.pkl`` (the object, pickled with protocol 2, each storage a persistent id
``('storage', torch.FloatStorage, key, location, numel)``), ``data/<key>`` (each storage's
raw bytes), ``byteorder``, ``version``, ``.format_version``, ``.storage_alignment`` and
``.data/serialization_id``."""

from __future__ import annotations

import bisect
import hashlib
import io
import os
import pickle
import pickletools
import struct
import sys
import zipfile
import zlib
from typing import IO, Any, Callable

import numpy as np

from .. import _dtypes
from .._tensor import Size, Tensor, device
from . import _storage
from ._files import is_seekable
from ._storage import STORAGE_OF_DTYPE, LoadedStorage, StorageType, torch_global
from ._weights_only import WeightsUnpickler

_ALIGNMENT = 64
_CORRUPT = ("This is an internal miniz error. If you are seeing this error, there is a high "
            "likelihood that your checkpoint file is corrupted. This can happen if the "
            "checkpoint was not saved properly, was transferred incorrectly, or the file was "
            "modified after saving.")


class _Archive:
    """The records of a torch zip archive, read with bounds: each record's bytes must lie
    inside the file, uncompressed, and apart from every other record read, so reading never
    takes more memory than the file's size."""

    def __init__(self, fh: IO[bytes]) -> None:
        if not is_seekable(fh):
            fh = io.BytesIO(fh.read())
        self._fh = fh
        start = fh.tell()
        try:
            self._zip = zipfile.ZipFile(fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
            raise RuntimeError("PytorchStreamReader failed reading zip archive: failed finding "
                               f"central directory. {_CORRUPT}") from None
        self._size = fh.seek(0, os.SEEK_END)
        self._start = start
        names = self._zip.namelist()
        if not names or "/" not in names[0]:
            raise RuntimeError("PytorchStreamReader failed reading zip archive: the archive "
                               f"holds no records under a folder. {_CORRUPT}")
        self.prefix = names[0].split("/", 1)[0] + "/"
        self._infos = {i.filename: i for i in self._zip.infolist()}
        self._spans: list = []

    def has(self, name: str) -> bool:
        return self.prefix + name in self._infos

    def read(self, name: str) -> bytes:
        """The bytes of the record name (relative to the archive's folder)."""
        return self.read_array(name).tobytes()

    def read_array(self, name: str) -> np.ndarray:
        """The bytes of the record name, read straight into a new uint8 array."""
        info = self._infos.get(self.prefix + name)
        if info is None:
            raise RuntimeError(f"PytorchStreamReader failed locating file {name}: file not "
                               f"found. {_CORRUPT}")
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            raise RuntimeError(f"ember.load: record {name} of the archive is compressed or "
                               "encrypted; torch.save writes records uncompressed, and ember "
                               "reads only those")
        self._fh.seek(info.header_offset)
        local = self._fh.read(30)
        if len(local) < 30 or local[:4] != b"PK\x03\x04":
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: invalid header "
                               f"or archive is corrupted. {_CORRUPT}")
        name_len, extra_len = struct.unpack("<HH", local[26:30])
        begin = info.header_offset + 30 + name_len + extra_len
        end = begin + info.file_size
        if info.compress_size != info.file_size or end > self._size:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: the record "
                               f"runs past the end of the file (truncated archive?). {_CORRUPT}")
        span = (info.header_offset, end)
        i = bisect.bisect_left(self._spans, span)
        if (i > 0 and self._spans[i - 1][1] > span[0]) or \
                (i < len(self._spans) and self._spans[i][0] < end):
            raise RuntimeError(f"ember.load: record {name} overlaps another record of the "
                               "archive; torch.save never writes such archives")
        self._spans.insert(i, span)
        self._fh.seek(begin)
        data = np.empty(info.file_size, np.uint8)
        got = _read_into(self._fh, memoryview(data))
        if got != info.file_size or zlib.crc32(data) != info.CRC:
            raise RuntimeError(f"PytorchStreamReader failed reading file {name}: the record is "
                               f"truncated or its CRC does not match. {_CORRUPT}")
        return data


def _read_into(fh: IO[bytes], buf: memoryview) -> int:
    """Fills buf from fh as far as fh goes; the number of bytes read."""
    readinto = getattr(fh, "readinto", None)
    done = 0
    while done < len(buf):
        if callable(readinto):
            n = readinto(buf[done:])
        else:
            part = fh.read(min(len(buf) - done, 1 << 24))
            n = len(part)
            buf[done:done + n] = part
        if not n:
            break
        done += n
    return done


def read_zip(fh: IO[bytes], map_location: Any, weights_only: bool, encoding: str,
             pickle_load_args: dict) -> Any:
    """The object torch.save (or ember.save) wrote to fh in torch's zip format."""
    archive = _Archive(fh)
    if archive.has("constants.pkl"):
        raise RuntimeError("ember.load: the archive is a TorchScript program (torch.jit.save), "
                           "which ember cannot run")
    big_endian = False
    if archive.has("byteorder"):
        order = archive.read("byteorder")
        if order not in (b"little", b"big"):
            raise ValueError("Unknown endianness type: " + order.decode("latin-1"))
        big_endian = order == b"big"
    restore = _storage.location_restorer(map_location)
    loaded: dict = {}

    def persistent_load(pid: Any) -> LoadedStorage:
        if len(pid) != 5:
            raise pickle.UnpicklingError(f"invalid storage id {pid!r}"[:200])
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, StorageType) or type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError(f"invalid storage id {pid!r}"[:200])
        key = _ascii(key)
        location = _ascii(location)
        if key in loaded:
            storage = loaded[key]
            storage.dtype_name = storage_type.dtype_name
            return storage
        data = archive.read_array(f"data/{key}")
        nbytes = numel * storage_type.itemsize
        if data.nbytes != nbytes:
            raise RuntimeError(f"record size ({data.nbytes} bytes) does not match expected size "
                               f"({nbytes} bytes = {nbytes} elements * 1 bytes/element) for "
                               "dtype Byte")
        if big_endian and storage_type.itemsize > 1:
            data.view(f">u{storage_type.itemsize}").byteswap(inplace=True)
        storage = restore(LoadedStorage(data, storage_type.dtype_name, location), location)
        loaded[key] = storage
        return storage

    pkl = io.BytesIO(archive.read("data.pkl"))
    if weights_only:
        return WeightsUnpickler(pkl, persistent_load, encoding).load()
    return FullUnpickler(pkl, persistent_load, encoding=encoding, **pickle_load_args).load()


def pickle_of_zip(fh: IO[bytes]) -> bytes:
    """The data.pkl record of the torch zip archive in fh."""
    return _Archive(fh).read("data.pkl")


def _ascii(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("ascii")
    if not isinstance(v, str):
        raise pickle.UnpicklingError(f"invalid storage id field {v!r}"[:200])
    return v


class FullUnpickler(pickle.Unpickler):
    """The unpickler of weights_only=False, which the user chooses for files they trust: any
    class loads, with torch's names mapped to ember's."""

    def __init__(self, fh: IO[bytes], persistent_load: Callable, **kwargs: Any) -> None:
        super().__init__(fh, **kwargs)
        self._storage_load = persistent_load

    def persistent_load(self, pid: Any) -> Any:
        if type(pid) is tuple and len(pid) == 4 and pid[0] in ("module", b"module"):
            return pid[1]  # the legacy format's module classes, saved with their source
        if type(pid) is not tuple or not pid or _ascii(pid[0]) != "storage":
            raise pickle.UnpicklingError(f"Unknown saved id type: {pid!r}"[:200])
        return self._storage_load(pid)

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch.tensor":
            module = "torch._tensor"
        if module == "torch" or module.startswith("torch."):
            return torch_global(module, name)
        return super().find_class(module, name)


# -- writing ------------------------------------------------------------------------------

class _StorageRef:
    """One storage being saved: the array whose memory it is, and its key in the archive."""

    __slots__ = ("key", "array", "dtype", "numel")

    def __init__(self, key: str, array: np.ndarray, dtype: _dtypes.dtype) -> None:
        self.key = key
        self.array = array
        self.dtype = dtype
        self.numel = array.nbytes // dtype.itemsize


def raw_bytes(arr: np.ndarray) -> np.ndarray:
    """The bytes of a C-contiguous array, as a flat uint8 array over the same memory."""
    return arr.reshape(-1).view(np.uint8)


def _root(arr: np.ndarray) -> np.ndarray:
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


class _TorchPickler(pickle.Pickler):
    """Pickles as torch.save does: each tensor as torch._utils._rebuild_tensor_v2 over a
    storage saved once, so views of one array stay views of one storage."""

    def __init__(self, fh: IO[bytes], protocol: int) -> None:
        super().__init__(fh, protocol=protocol)
        self.storages: dict = {}

    def _storage_of(self, arr: np.ndarray, dt: _dtypes.dtype) -> tuple:
        root = _root(arr)
        size = dt.itemsize
        if root.flags.c_contiguous and root.nbytes % size == 0:
            ref = self.storages.get(id(root))
            if ref is None or ref.dtype is dt:
                gap = (arr.__array_interface__["data"][0]
                       - root.__array_interface__["data"][0])
                strides = [s // size for s in arr.strides]
                if gap % size == 0 and all(s >= 0 and s * size == b
                                           for s, b in zip(strides, arr.strides)):
                    if ref is None:
                        ref = _StorageRef(str(len(self.storages)), root, dt)
                        self.storages[id(root)] = ref
                    return ref, gap // size, strides
        # Memory ember cannot describe as one of torch's storages (negative strides, another
        # dtype over the same bytes): the tensor gets a storage of its own.
        copy = np.ascontiguousarray(arr)
        ref = _StorageRef(str(len(self.storages)), copy, dt)
        self.storages[id(copy)] = ref
        return ref, 0, [s // size for s in copy.strides]

    def reducer_override(self, obj: Any) -> Any:
        from ..nn.parameter import Parameter

        if isinstance(obj, Tensor):
            if isinstance(obj, Parameter):
                return (_storage._rebuild_parameter,
                        (Tensor._make(obj._data), obj.requires_grad, _storage.empty_hooks()))
            arr = obj._data
            dt = _dtypes.FROM_NUMPY[arr.dtype]
            ref, offset, strides = self._storage_of(arr, dt)
            return (_storage._rebuild_tensor_v2,
                    (ref, offset, tuple(arr.shape), tuple(strides), obj.requires_grad,
                     _storage.empty_hooks()))
        if isinstance(obj, _dtypes.dtype):
            return repr(obj)[len("torch."):]
        if isinstance(obj, StorageType):
            return obj.name
        if isinstance(obj, Size):
            return (Size, (tuple(obj),))
        if isinstance(obj, device):
            return (device, (obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, _StorageRef):
            return ("storage", STORAGE_OF_DTYPE[obj.dtype._name], obj.key, "cpu", obj.numel)
        return None


# ember's own names of the globals above, and the torch names a torch.load expects.
_TORCH_NAMES = {
    ("ember.serialization._storage", "_rebuild_tensor_v2"): ("torch._utils",
                                                             "_rebuild_tensor_v2"),
    ("ember.serialization._storage", "_rebuild_parameter"): ("torch._utils",
                                                             "_rebuild_parameter"),
    ("ember._tensor", "Size"): ("torch", "Size"),
    ("ember._tensor", "device"): ("torch", "device"),
    **{("ember.serialization._storage", n): ("torch", n) for n in _storage.STORAGE_TYPES},
    **{("ember._dtypes", d._name): ("torch", d._name) for d in _dtypes.ALL_DTYPES},
}


def _torch_globals(pkl: bytes) -> bytes:
    """pkl with ember's names of torch's globals replaced by torch's names. Memo indices do
    not depend on byte positions, so rewriting GLOBAL opcodes leaves the rest valid."""
    out = []
    last = 0
    ops = list(pickletools.genops(pkl))
    for (op, arg, pos), nxt in zip(ops, ops[1:] + [(None, None, len(pkl))]):
        if op.name == "GLOBAL":
            module, name = arg.split(" ", 1)
            new = _TORCH_NAMES.get((module, name))
            if new is not None:
                out.append(pkl[last:pos])
                out.append(b"c" + f"{new[0]}\n{new[1]}\n".encode())
                last = nxt[2]
    out.append(pkl[last:])
    return b"".join(out)


def write_zip(obj: Any, fh: IO[bytes], archive_name: str, protocol: int,
              byteorder: bool = True) -> None:
    """Writes obj to fh in torch's zip format, as torch.save does (with a byteorder record
    unless byteorder is False)."""
    if not 2 <= protocol <= 3:
        raise ValueError(f"ember.save writes pickle protocols 2 and 3 (torch's default is 2), "
                         f"got {protocol}")
    buf = io.BytesIO()
    pickler = _TorchPickler(buf, protocol)
    pickler.dump(obj)
    pkl = _torch_globals(buf.getvalue())
    storages = sorted(pickler.storages.values(), key=lambda r: int(r.key))
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        records: list = [("data.pkl", pkl), (".format_version", b"1"),
                         (".storage_alignment", str(_ALIGNMENT).encode())]
        if byteorder:
            records.append(("byteorder", sys.byteorder.encode()))
        records += [(f"data/{r.key}", r.array) for r in storages]
        records += [("version", b"3\n"),
                    (".data/serialization_id",
                     str(int(hashlib.sha1(pkl).hexdigest(), 16))[:40].rjust(40, "0").encode())]
        for name, data in records:
            _write_record(zf, f"{archive_name}/{name}", data)


def _write_record(zf: zipfile.ZipFile, name: str, data: Any) -> None:
    view = memoryview(raw_bytes(data) if isinstance(data, np.ndarray) else data)
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.file_size = view.nbytes
    zip64 = view.nbytes * 1.05 > zipfile.ZIP64_LIMIT  # zipfile's own rule
    # Pad the local header's extra field so the record's bytes start on a 64-byte boundary,
    # as torch aligns them (its mmap loading relies on it).
    start = zf.fp.tell() + 30 + len(name.encode("utf-8")) + 4 + (20 if zip64 else 0)
    pad = -start % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as w:
        w.write(view)


def archive_name(f: Any) -> str:
    """The folder torch.save names the records after: the file's stem, or ``archive``."""
    if isinstance(f, (str, os.PathLike)):
        base = os.path.basename(os.fspath(f))
        stem = base[:base.rfind(".")] if "." in base else base
        return stem or "archive"
    return "archive"
