"""ember.save and ember.load, in torch's file formats: files cross between torch and ember
in both directions.

- ``save(obj, f)`` writes torch's zip format, as torch.save does whatever the file's name,
  so ``torch.load(f)`` reads what ember saved. ``save(obj, f, format="safetensors")`` writes
  the safetensors format instead.
- ``load(f)`` tells the format by the file's first bytes: ``PK\\x03\\x04`` is torch's zip
  format, a pickle protocol byte ``\\x80`` torch's legacy format (unless the first 8 bytes
  read as a valid safetensors header length), anything else is read as safetensors. As in
  torch, ``weights_only=True`` (the default) reads the pickle with a restricted reader
  that creates only tensors, storages, dtypes, containers and the globals allowed with
  add_safe_globals / safe_globals; ``weights_only=False`` loads any object, for
  files from a trusted source.

Reachable as ``torch.serialization`` under ``import ember as torch``.
"""

from __future__ import annotations

import io
import pickle
import warnings
from typing import Any

import numpy as np

from ._files import FileLike, is_path, is_seekable, open_for_reading, open_for_writing
from ._legacy_format import read_legacy, write_legacy
from ._safetensors import (
    MAX_HEADER_LENGTH,
    SafetensorsError,
    load_safetensors,
    save_safetensors,
)
from ._storage import LoadedStorage, location_restorer
from ._weights_only import (
    UNSAFE_MESSAGE,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
    unsafe_globals_in_pickle,
    weights_only_message,
)
from ._zip_format import archive_name, pickle_of_zip, read_zip, write_zip

__all__ = ["save", "load", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "safe_globals", "get_unsafe_globals_in_checkpoint", "SafetensorsError",
           "DEFAULT_PROTOCOL", "UNSAFE_MESSAGE"]

DEFAULT_PROTOCOL = 2
_ZIP_MAGIC = b"PK\x03\x04"


def save(obj: Any, f: FileLike, pickle_module: Any = None,
         pickle_protocol: int = DEFAULT_PROTOCOL, _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False, *, format: str | None = None,
         metadata: dict | None = None) -> None:
    """Saves an object to a disk file.

    As torch.save: the object (a tensor, a state dict, a whole module, an optimizer's state,
    any picklable object) is written in torch's zip format, which torch.load reads; tensors
    that share a storage are saved once, as views of it. With
    ``_use_new_zipfile_serialization=False``, torch's legacy format.

    With ``format="safetensors"``, writes the safetensors format instead (a tensor, a dict of
    tensors, or dicts, lists and tuples of tensors and Python values), with ``metadata`` (a
    str to str dict) in its header: ``safetensors.torch.load_file`` reads the tensors of such
    a file, and loading it never runs code."""
    if format not in (None, "safetensors"):
        raise ValueError(f"ember.save: format must be None (torch's format) or "
                         f"'safetensors', got {format!r}")
    if metadata is not None and format != "safetensors":
        raise ValueError("ember.save: metadata is stored only with format='safetensors'")
    if pickle_module not in (None, pickle):
        raise ValueError("ember.save: only the standard pickle module is supported")
    with open_for_writing(f) as fh:
        if format == "safetensors":
            save_safetensors(obj, fh, metadata)
        elif _use_new_zipfile_serialization:
            write_zip(obj, fh, archive_name(f), pickle_protocol,
                          byteorder=not _disable_byteorder_record)
        else:
            write_legacy(obj, fh, pickle_protocol)


def load(f: FileLike, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool | None = None, mmap: bool | None = None,
         **pickle_load_args: Any) -> Any:
    """Loads an object saved with :func:`torch.save` (or ember.save) from a file.

    f is a path, an os.PathLike or a binary file object. The format is told by the file's
    first bytes: torch's zip format, torch's legacy format or safetensors.

    weights_only: Indicates whether unpickler should be restricted to loading only tensors,
    primitive types, dictionaries and any types added via
    :func:`torch.serialization.add_safe_globals`. It is True unless a pickle_module is given.

    map_location: a function, :class:`torch.device`, string or a dict specifying how to remap
    storage locations. ember has only the CPU: a checkpoint saved on a GPU loads with
    ``map_location="cpu"``, and fails as in a CPU-only torch without it."""
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only:
        if pickle_module is not None:
            raise RuntimeError("Can not safely load weights when explicit pickle_module is "
                               "specified")
    elif pickle_module not in (None, pickle):
        raise ValueError("ember.load: only the standard pickle module is supported")
    if pickle_load_args and weights_only:
        warnings.warn("pickle_load_args only works if `weights_only=False`.", stacklevel=2)
    if mmap and not is_path(f):
        raise ValueError("f must be a file path in order to use the mmap argument")
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if weights_only:
        pickle_load_args = {}
    with open_for_reading(f) as fh:
        head = fh.read(8)
        if is_seekable(fh):
            fh.seek(-len(head), io.SEEK_CUR)
            start = b""
        else:
            start = head
        if head[:4] == _ZIP_MAGIC or _is_pickle(head):
            if start:
                fh = io.BytesIO(start + fh.read())
            reader = read_zip if head[:4] == _ZIP_MAGIC else read_legacy
            try:
                return reader(fh, map_location, weights_only, encoding, pickle_load_args)
            except pickle.UnpicklingError as e:
                if weights_only:
                    raise pickle.UnpicklingError(weights_only_message(str(e))) from None
                raise
        if map_location is not None:
            # safetensors files hold no locations: their tensors go where map_location says.
            nothing = LoadedStorage(np.empty(0, np.uint8), "uint8", "cpu")
            location_restorer(map_location)(nothing, "cpu")
        return load_safetensors(fh, start)



def get_unsafe_globals_in_checkpoint(f: FileLike) -> list:
    """Returns a list of strings of functions/classes in a ``torch.save`` object that are not
    safe for ``weights_only``.

    For a given function or class ``f``, the corresponding string will be of the form
    ``{f.__module__}.{f.__name__}``. This function will return any GLOBALs in the checkpoint
    that are not in the set marked safe for ``weights_only`` (either via
    :func:`add_safe_globals` or :class:`safe_globals` context or allowlisted by ``torch`` by
    default). The file is read, never run."""
    with open_for_reading(f) as fh:
        if fh.read(4) != _ZIP_MAGIC:
            raise ValueError("Expected input to be a checkpoint returned by torch.save")
        fh.seek(-4, io.SEEK_CUR)
        return unsafe_globals_in_pickle(pickle_of_zip(fh))


def _is_pickle(head: bytes) -> bool:
    # A pickle starts with its protocol byte; a safetensors file with its header length,
    # which may start with the same byte, but whose 8 bytes then stay under safetensors' cap
    # (a pickle's next bytes are opcodes and text, which make the number far larger).
    return head[:1] == b"\x80" and (len(head) < 8 or
                                    int.from_bytes(head, "little") > MAX_HEADER_LENGTH)
