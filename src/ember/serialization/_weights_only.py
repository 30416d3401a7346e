"""The weights-only reader torch.load uses by default: a pickle interpreter that knows the
opcodes torch's own weights-only unpickler knows, creates only the globals torch allows
(tensors, storages, dtypes, torch.Size, nn.Parameter, OrderedDict, ...) plus those a user
allows with add_safe_globals / safe_globals, and never imports or calls anything else."""

from __future__ import annotations

import pickle
import struct
import warnings
from collections import Counter, OrderedDict
from typing import IO, Any, Callable

from ._files import read_at_most
from ._storage import torch_allowed_global

__all__ = ["add_safe_globals", "clear_safe_globals", "get_safe_globals", "safe_globals",
           "WeightsUnpickler", "weights_only_message", "UNSAFE_MESSAGE"]

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in "
    "`torch.load` from `False` to `True`. Re-running `torch.load` with `weights_only` set to "
    "`False` will likely succeed, but it can result in arbitrary code execution. Do it only if "
    "you got the file from a trusted source."
)
_DOCS_MESSAGE = (
    "\n\nCheck the documentation of torch.load to learn more about types accepted by default "
    "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html."
)
# Never allowed, even when a user asks.
_BLOCKED_MODULES = ("sys", "os", "posix", "nt")
# Python 2 names, as torch renames them.
_IMPORT_MAPPING = {"__builtin__": "builtins", "copy_reg": "copyreg", "Queue": "queue",
                   "repr": "reprlib", "_abcoll": "collections.abc", "UserDict": "collections",
                   "UserList": "collections", "UserString": "collections", "whichdb": "dbm",
                   "StringIO": "io", "cStringIO": "io"}
_NAME_MAPPING = {("__builtin__", "xrange"): ("builtins", "range"),
                 ("__builtin__", "reduce"): ("functools", "reduce"),
                 ("__builtin__", "intern"): ("sys", "intern"),
                 ("__builtin__", "unichr"): ("builtins", "chr"),
                 ("__builtin__", "unicode"): ("builtins", "str"),
                 ("__builtin__", "long"): ("builtins", "int"),
                 ("__builtin__", "basestring"): ("builtins", "str")}


def _encode(obj: str, encoding: str = "utf-8", errors: str = "strict") -> bytes:
    # _codecs.encode, which protocol 2 uses to store bytes: only text to bytes.
    if not isinstance(obj, str) or not isinstance(encoding, str):
        raise pickle.UnpicklingError("_codecs.encode takes a string and an encoding")
    import codecs

    return codecs.encode(obj, encoding, errors)


def _bytearray(*args: Any) -> bytearray:
    # bytearray(size) would allocate what the file asks for: only contents are accepted.
    if args and isinstance(args[0], int):
        raise pickle.UnpicklingError("bytearray of a given size is not allowed in a checkpoint")
    return bytearray(*args)


_PLAIN_GLOBALS = {
    ("collections", "OrderedDict"): OrderedDict, ("collections", "Counter"): Counter,
    ("_codecs", "encode"): _encode, ("builtins", "bytearray"): _bytearray,
    ("builtins", "set"): set, ("builtins", "complex"): complex,
}

_user_globals: set = set()


def add_safe_globals(safe_globals: list) -> None:
    """Marks the given globals as safe for ``weights_only`` load. For example, functions
    added to this list can be called during unpickling, classes could be instantiated and have
    state set.

    Each item in the list can either be a function/class or a tuple of the form
    (function/class, string) where string is the full path of the function/class."""
    global _user_globals
    _user_globals = _user_globals.union(set(safe_globals))


def get_safe_globals() -> list:
    """Returns the list of user-added globals that are safe for ``weights_only`` load."""
    return list(_user_globals)


def clear_safe_globals() -> None:
    """Clears the list of globals that are safe for ``weights_only`` load."""
    global _user_globals
    _user_globals = set()


class safe_globals:
    """Context-manager that adds certain globals as safe for ``weights_only`` load."""

    def __init__(self, safe_globals: list) -> None:
        self.safe_globals = safe_globals

    def __enter__(self) -> None:
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc: Any) -> None:
        global _user_globals
        _user_globals = _user_globals - set(self.safe_globals)


def _user_allowed() -> dict:
    out: dict = {}
    for f in _user_globals:
        if isinstance(f, tuple):
            if len(f) != 2:
                raise ValueError("Expected tuple of length 2 (global, str of callable full "
                                 f"path), but got tuple of length: {len(f)}")
            if type(f[1]) is not str:
                raise TypeError("Expected second item in tuple to be str of callable full "
                                f"path, but got: {type(f[1])}")
            out[f[1]] = f[0]
        else:
            out[f"{f.__module__}.{f.__qualname__}"] = f
    return out


def _torch_path_of_user_global(module: str, name: str, user: dict) -> Any:
    # A torch program allowlists torch.nn.Linear; under `import ember as torch` that is
    # ember's Linear, while the checkpoint names torch.nn.modules.linear.Linear.
    if not user or not (module == "torch" or module.startswith("torch.")):
        return None
    from ._storage import torch_global

    try:
        obj = torch_global(module, name, import_modules=False)
    except (pickle.UnpicklingError, TypeError):
        return None
    return obj if any(obj is v for v in user.values()) else None


def unsafe_globals_in_pickle(pkl: bytes) -> list:
    """The globals a pickle names that the weights-only reader would refuse, as
    "module.name" strings, found by reading its opcodes without running any."""
    import pickletools

    user = _user_allowed()
    found = []
    try:
        for op, arg, _ in pickletools.genops(pkl):
            if op.code.encode("latin-1")[0] not in _OPS:
                raise pickle.UnpicklingError(f"Unsupported operand {op.code.encode('latin-1')[0]}")
            if op.name == "GLOBAL":
                module, name = arg.split(" ", 1)
                if not _is_allowed(module, name, user):
                    found.append(f"{module}.{name}")
    except ValueError as e:
        raise pickle.UnpicklingError(f"invalid pickle data: {e}") from None
    return sorted(set(found))


def _is_allowed(module: str, name: str, user: dict) -> bool:
    if (module, name) in _NAME_MAPPING:
        module, name = _NAME_MAPPING[module, name]
    module = _IMPORT_MAPPING.get(module, module)
    if module in _BLOCKED_MODULES:
        return False
    if (module, name) in _PLAIN_GLOBALS or f"{module}.{name}" in user:
        return True
    try:
        return torch_allowed_global(module, name) is not None or \
            _torch_path_of_user_global(module, name, user) is not None
    except TypeError:
        return True  # allowed by torch, though of a kind ember cannot load


def weights_only_message(message: str) -> str:
    """torch.load's text around an error of its weights-only unpickler."""
    if "was not an allowed global by default." in message:
        return ("Weights only load failed. This file can still be loaded, to do so you have two "
                "options, \033[1mdo those steps only if you trust the source of the "
                f"checkpoint\033[0m. \n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with "
                "`weights_only=True` please check the recommended steps in the following error "
                "message.\n\tWeightsUnpickler error: " + message + _DOCS_MESSAGE)
    text = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
    if "is blocked" not in message:
        text += ("Please file an issue with the following so that we can make "
                 "`weights_only=True` compatible with your use case: WeightsUnpickler error: ")
    return text + "\n\n" + message + _DOCS_MESSAGE


class WeightsUnpickler:
    """Reads one pickle from fh, allowing only torch's weights-only globals and the user's
    safe globals; persistent_load turns each storage id into a storage."""

    def __init__(self, fh: IO[bytes], persistent_load: Callable[[Any], Any],
                 encoding: str = "utf-8") -> None:
        self._fh = fh
        self._persistent_load = persistent_load
        self._encoding = encoding
        self._user = _user_allowed()
        self._allowed_ids = {id(v) for v in _PLAIN_GLOBALS.values()}
        self._allowed_ids.update(id(v) for v in self._user.values())

    def _read(self, n: int) -> bytes:
        data = read_at_most(self._fh, n)
        if len(data) < n:
            raise pickle.UnpicklingError("pickle data was truncated")
        return data

    def _readline(self) -> str:
        line = self._fh.readline(1 << 16)
        if not line.endswith(b"\n"):
            raise pickle.UnpicklingError("pickle data was truncated")
        try:
            return line[:-1].decode("utf-8")
        except UnicodeDecodeError:
            raise pickle.UnpicklingError("a global's name is not valid UTF-8") from None

    def load(self) -> Any:
        """The object the pickle describes."""
        self.stack: list = []
        self.metastack: list = []
        self.memo: dict = {}
        ops = _OPS
        while True:
            key = self._fh.read(1)
            if not key:
                raise EOFError("Ran out of input")
            op = ops.get(key[0])
            if op is None:
                raise pickle.UnpicklingError(f"Unsupported operand {key[0]}")
            try:
                if op(self):
                    return self.stack.pop()
            except IndexError:
                raise pickle.UnpicklingError("invalid pickle data: the stack is empty where "
                                             "an opcode needs a value") from None

    # -- opcodes that name, create or call -------------------------------------------------

    def _global(self) -> None:
        module, name = self._readline(), self._readline()
        if (module, name) in _NAME_MAPPING:
            module, name = _NAME_MAPPING[module, name]
        else:
            module = _IMPORT_MAPPING.get(module, module)
        full = f"{module}.{name}"
        if module in _BLOCKED_MODULES:
            raise pickle.UnpicklingError(f"Trying to load unsupported GLOBAL {full} whose module "
                                         f"{module} is blocked.")
        found = _PLAIN_GLOBALS.get((module, name))
        if found is None:
            found = torch_allowed_global(module, name)
            if found is not None:
                self._allowed_ids.add(id(found))
        if found is None:
            found = self._user.get(full)
        if found is None:
            found = _torch_path_of_user_global(module, name, self._user)
        if found is None:
            if full.startswith("builtins"):
                rest = full[len("builtins"):]
                full = rest[1:] if rest.startswith(".") else "builtins" + rest
            raise pickle.UnpicklingError(
                f"Unsupported global: GLOBAL {full} was not an allowed global by default. "
                f"Please use `torch.serialization.add_safe_globals([{full}])` or the "
                f"`torch.serialization.safe_globals([{full}])` context manager to allowlist this "
                "global if you trust this class/function.")
        self.stack.append(found)

    def _allowed(self, obj: Any) -> bool:
        return id(obj) in self._allowed_ids

    def _newobj(self) -> None:
        from ..nn.parameter import Parameter

        args = self.stack.pop()
        cls = self.stack.pop()
        if cls is Parameter:
            self.stack.append(Parameter(*args))
        elif isinstance(cls, type) and self._allowed(cls):
            self.stack.append(cls.__new__(cls, *args))
        else:
            raise pickle.UnpicklingError("Can only create new object for nn.Parameter or classes "
                                         f"allowlisted via `add_safe_globals` but got {cls}")

    def _reduce(self) -> None:
        args = self.stack.pop()
        func = self.stack[-1]
        if not self._allowed(func):
            raise pickle.UnpicklingError(f"Trying to call reduce for unrecognized function {func}")
        if not isinstance(args, tuple):
            raise pickle.UnpicklingError("the arguments of a call must be a tuple")
        self.stack[-1] = func(*args)

    def _build(self) -> None:
        from .._tensor import Tensor
        from ..nn.parameter import Parameter

        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) in (Tensor, Parameter):
            raise pickle.UnpicklingError("ember.load: the checkpoint sets a tensor's state after "
                                         "creating it, as torch's oldest files do, which ember "
                                         "does not support")
        if type(inst) is OrderedDict:
            if not isinstance(state, dict):
                raise pickle.UnpicklingError("the state of an OrderedDict must be a dict")
            inst.__dict__.update(state)
        elif self._allowed(type(inst)):
            if hasattr(inst, "__setstate__"):
                inst.__setstate__(state)
            else:
                slotstate = None
                if isinstance(state, tuple) and len(state) == 2:
                    state, slotstate = state
                if state:
                    inst.__dict__.update(state)
                if slotstate:
                    for k, v in slotstate.items():
                        setattr(inst, k, v)
        else:
            raise pickle.UnpicklingError("Can only build Tensor, Parameter, OrderedDict or types "
                                         f"allowlisted via `add_safe_globals`, but got "
                                         f"{type(inst)}")

    def _binpersid(self) -> None:
        pid = self.stack.pop()
        if type(pid) is not tuple or not pid or pid[0] not in ("storage", b"storage"):
            raise pickle.UnpicklingError(f"Only persistent_load of storage is allowed, but got "
                                         f"{pid!r}"[:200])
        self.stack.append(self._persistent_load(pid))

    # -- containers -----------------------------------------------------------------------

    def _pop_mark(self) -> list:
        items = self.stack
        if not self.metastack:
            raise pickle.UnpicklingError("could not find MARK")
        self.stack = self.metastack.pop()
        return items

    def _mark(self) -> None:
        self.metastack.append(self.stack)
        self.stack = []

    def _append(self) -> None:
        item = self.stack.pop()
        target = self.stack[-1]
        if type(target) is not list:
            raise pickle.UnpicklingError(f"Can only append to lists, but got {type(target)}")
        target.append(item)

    def _appends(self) -> None:
        items = self._pop_mark()
        target = self.stack[-1]
        if type(target) is not list:
            raise pickle.UnpicklingError(f"Can only extend lists, but got {type(target)}")
        target.extend(items)

    def _dict_target(self, opcode: str) -> dict:
        target = self.stack[-1]
        if type(target) not in (dict, OrderedDict, Counter):
            raise pickle.UnpicklingError(f"Can only {opcode} for dict, collections.OrderedDict, "
                                         f"collections.Counter, but got {type(target)}")
        return target

    def _setitem(self) -> None:
        v = self.stack.pop()
        k = self.stack.pop()
        self._dict_target("SETITEM")[k] = v

    def _setitems(self) -> None:
        items = self._pop_mark()
        target = self._dict_target("SETITEMS")
        if len(items) % 2:
            raise pickle.UnpicklingError("SETITEMS needs key and value pairs")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def _tuple(self) -> None:
        items = tuple(self._pop_mark())
        self.stack.append(items)

    def _tuple_n(n: int) -> Callable:  # type: ignore[misc]
        def op(self: WeightsUnpickler) -> None:
            if len(self.stack) < n:
                raise IndexError
            items = tuple(self.stack[len(self.stack) - n:])
            del self.stack[len(self.stack) - n:]
            self.stack.append(items)
        return op

    # -- values ---------------------------------------------------------------------------

    def _push(value: Any) -> Callable:  # type: ignore[misc]
        def op(self: WeightsUnpickler) -> None:
            self.stack.append(value() if callable(value) else value)
        return op

    def _unpack(fmt: str) -> Callable:  # type: ignore[misc]
        size = struct.calcsize(fmt)

        def op(self: WeightsUnpickler) -> None:
            self.stack.append(struct.unpack(fmt, self._read(size))[0])
        return op

    def _binunicode(self) -> None:
        (n,) = struct.unpack("<I", self._read(4))
        self.stack.append(_decode(self._read(n), "utf-8", "surrogatepass"))

    def _short_binstring(self) -> None:
        data = self._read(self._read(1)[0])
        self.stack.append(data if self._encoding == "bytes" else _decode(data, self._encoding))

    def _long1(self) -> None:
        data = self._read(self._read(1)[0])
        self.stack.append(int.from_bytes(data, "little", signed=True))

    def _get(fmt: str) -> Callable:  # type: ignore[misc]
        size = struct.calcsize(fmt)

        def op(self: WeightsUnpickler) -> None:
            (i,) = struct.unpack(fmt, self._read(size))
            if i not in self.memo:
                raise pickle.UnpicklingError(f"Memo value not found at index {i}")
            self.stack.append(self.memo[i])
        return op

    def _put(fmt: str) -> Callable:  # type: ignore[misc]
        size = struct.calcsize(fmt)

        def op(self: WeightsUnpickler) -> None:
            (i,) = struct.unpack(fmt, self._read(size))
            self.memo[i] = self.stack[-1]
        return op

    def _proto(self) -> None:
        proto = self._read(1)[0]
        if proto != 2:
            warnings.warn(
                f"Detected pickle protocol {proto} in the checkpoint, which was not the default "
                "pickle protocol used by `torch.load` (2). The weights_only Unpickler might not "
                "support all instructions implemented by this protocol, please file an issue "
                "for adding support if you encounter this.", stacklevel=4)

    def _stop(self) -> bool:
        return True


def _decode(data: bytes, encoding: str, errors: str = "strict") -> str:
    try:
        return data.decode(encoding, errors)
    except UnicodeDecodeError as e:
        raise pickle.UnpicklingError(f"a string of the pickle is not valid {encoding}: "
                                     f"{e}") from None


_U = WeightsUnpickler
_OPS: dict = {
    pickle.GLOBAL[0]: _U._global, pickle.NEWOBJ[0]: _U._newobj, pickle.REDUCE[0]: _U._reduce,
    pickle.BUILD[0]: _U._build, pickle.BINPERSID[0]: _U._binpersid,
    pickle.APPEND[0]: _U._append, pickle.APPENDS[0]: _U._appends,
    pickle.SETITEM[0]: _U._setitem, pickle.SETITEMS[0]: _U._setitems,
    pickle.MARK[0]: _U._mark, pickle.TUPLE[0]: _U._tuple, pickle.TUPLE1[0]: _U._tuple_n(1),
    pickle.TUPLE2[0]: _U._tuple_n(2), pickle.TUPLE3[0]: _U._tuple_n(3),
    pickle.NONE[0]: _U._push(None), pickle.NEWFALSE[0]: _U._push(False),
    pickle.NEWTRUE[0]: _U._push(True), pickle.EMPTY_TUPLE[0]: _U._push(()),
    pickle.EMPTY_LIST[0]: _U._push(list), pickle.EMPTY_DICT[0]: _U._push(dict),
    pickle.EMPTY_SET[0]: _U._push(set),
    pickle.BININT[0]: _U._unpack("<i"), pickle.BININT1[0]: _U._unpack("<B"),
    pickle.BININT2[0]: _U._unpack("<H"), pickle.BINFLOAT[0]: _U._unpack(">d"),
    pickle.BINUNICODE[0]: _U._binunicode, pickle.SHORT_BINSTRING[0]: _U._short_binstring,
    pickle.LONG1[0]: _U._long1,
    pickle.BINGET[0]: _U._get("<B"), pickle.LONG_BINGET[0]: _U._get("<I"),
    pickle.BINPUT[0]: _U._put("<B"), pickle.LONG_BINPUT[0]: _U._put("<I"),
    pickle.PROTO[0]: _U._proto, pickle.STOP[0]: _U._stop,
}
