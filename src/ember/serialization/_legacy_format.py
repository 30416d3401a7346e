"""torch's format before the zip archive (torch.save(..., _use_new_zipfile_serialization=
False)): five pickles in a row (a magic number, the protocol version 1001, a dict of system
facts, the object with storage ids ``('storage', torch.FloatStorage, key, location, numel,
None)``, the list of storage keys), then each storage as its element count (int64, little
endian) and its bytes."""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys
from typing import IO, Any

import numpy as np

from . import _storage
from ._files import is_seekable, read_at_most
from ._storage import LoadedStorage, StorageType
from ._weights_only import WeightsUnpickler
from ._zip_format import FullUnpickler, _ascii, _torch_globals, _TorchPickler, raw_bytes

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def read_legacy(fh: IO[bytes], map_location: Any, weights_only: bool, encoding: str,
                pickle_load_args: dict) -> Any:
    """The object torch.save wrote to fh in its legacy format."""
    if not is_seekable(fh):
        fh = io.BytesIO(fh.read())
    here = fh.tell()
    size = fh.seek(0, os.SEEK_END)
    fh.seek(here)
    restore = _storage.location_restorer(map_location)
    storages: dict = {}

    def persistent_load(pid: Any) -> LoadedStorage:
        if len(pid) != 6:
            raise pickle.UnpicklingError(f"invalid storage id {pid!r}"[:200])
        _, storage_type, key, location, numel, view = pid
        if not isinstance(storage_type, StorageType) or type(numel) is not int or numel < 0:
            raise pickle.UnpicklingError(f"invalid storage id {pid!r}"[:200])
        if view is not None:
            raise pickle.UnpicklingError("ember.load: storage views of torch's legacy format "
                                         "are not supported")
        key, location = _ascii(key), _ascii(location)
        if key not in storages:
            nbytes = numel * storage_type.itemsize
            # The bytes come after the pickles: a storage larger than the file is refused
            # before anything is allocated for it.
            if nbytes > size - fh.tell():
                raise RuntimeError(f"ember.load: storage {key} claims {nbytes} bytes, more "
                                   "than the file holds (truncated file?)")
            storage = LoadedStorage(np.empty(nbytes, np.uint8), storage_type.dtype_name,
                                    location)
            storages[key] = (restore(storage, location), numel, storage_type.itemsize)
        return storages[key][0]

    def load_one() -> Any:
        if weights_only:
            return WeightsUnpickler(fh, persistent_load, encoding).load()
        return FullUnpickler(fh, persistent_load, encoding=encoding,
                             **pickle_load_args).load()

    if load_one() != MAGIC_NUMBER:
        raise RuntimeError("Invalid magic number; corrupt file?")
    version = load_one()
    if version != PROTOCOL_VERSION:
        raise RuntimeError(f"Invalid protocol version: {version}")
    info = load_one()
    little = not isinstance(info, dict) or info.get("little_endian", True)
    result = load_one()
    keys = load_one()
    if not isinstance(keys, list):
        raise RuntimeError("ember.load: invalid list of storages")
    for key in keys:
        if _ascii(key) not in storages:
            raise RuntimeError(f"ember.load: storage key {key!r} not found"[:200])
        storage, numel, itemsize = storages[_ascii(key)]
        head = read_at_most(fh, 8)
        if len(head) < 8:
            raise RuntimeError("ember.load: the file ends before its storages (truncated?)")
        (count,) = struct.unpack("<q" if little else ">q", head)
        if count != numel:
            raise RuntimeError(f"storage has wrong size: expected {numel} got {count}")
        raw = read_at_most(fh, storage.data.nbytes)
        if len(raw) != storage.data.nbytes:
            raise RuntimeError("ember.load: the file ends inside a storage (truncated?)")
        storage.data[:] = np.frombuffer(raw, np.uint8)
        if not little and itemsize > 1:
            storage.data.view(f">u{itemsize}").byteswap(inplace=True)
    return result


class _LegacyPickler(_TorchPickler):
    def persistent_id(self, obj: Any) -> Any:
        pid = super().persistent_id(obj)
        return None if pid is None else (*pid, None)


def write_legacy(obj: Any, fh: IO[bytes], protocol: int) -> None:
    """Writes obj to fh in torch's legacy format, as torch.save(...,
    _use_new_zipfile_serialization=False) does."""
    if not 2 <= protocol <= 3:
        raise ValueError(f"ember.save writes pickle protocols 2 and 3 (torch's default is 2), "
                         f"got {protocol}")
    info = {"protocol_version": PROTOCOL_VERSION, "little_endian": sys.byteorder == "little",
            "type_sizes": {"short": 2, "int": 4, "long": 4}}
    for header in (MAGIC_NUMBER, PROTOCOL_VERSION, info):
        pickle.dump(header, fh, protocol=protocol)
    buf = io.BytesIO()
    pickler = _LegacyPickler(buf, protocol)
    pickler.dump(obj)
    fh.write(_torch_globals(buf.getvalue()))
    refs = sorted(pickler.storages.values(), key=lambda r: r.key)
    pickle.dump([r.key for r in refs], fh, protocol=protocol)
    for r in refs:
        fh.write(struct.pack("<q", r.numel))
        fh.write(memoryview(raw_bytes(r.array)))
