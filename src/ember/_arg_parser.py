"""torch's argument parser (torch/csrc/utils/python_arg_parser.cpp): which Python values match
which parameter types of an op's signatures, and torch's TypeError texts when none matches.

Every public op of the `ember` namespace and every Tensor method with a signature in
`_signatures` is bound through `bind` (one wrapper per op). Checking every argument in
Python before every call would cost more than some eager ops themselves, so the wrapper
first runs a quick test: each argument's type must be one that some overload accepts at its
position (one dict lookup per argument, and one lookup in all for a type pattern seen
before); a method called without arguments skips it. Only calls that fail it, and calls
whose op raises (try/except costs nothing when nothing is raised), run torch's full
matching, and raise torch's error when no overload matches. Measured with
benchmarks/run.py W1 (a chain of small pointwise ops, most of them methods), five
alternating runs each: median 7.5 us per op without the parser, 7.1 with it, the runs of
either ranging over 4.6-9.2 us on the shared machine: within the noise.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from ._dtypes import dtype as _dtype
from ._formats import layout, memory_format, strided
from ._random import Generator
from ._tensor import Size, Tensor, device
from ._transform_hooks import ACTIVE, ORIGINAL_OF, dispatch

# Parameter kinds, by the type names of torch's signature strings.
TENSOR, SCALAR, INT, DOUBLE, COMPLEX, BOOL, INT_LIST, FLOAT_LIST, TENSOR_LIST, \
    OPT_TENSOR_LIST, SCALAR_LIST, DTYPE, LAYOUT, DEVICE, MEMORY_FORMAT, GENERATOR, STRING, \
    DIMNAME, DIMNAME_LIST, OBJECT = range(20)

_KINDS = {
    "Tensor": TENSOR, "Scalar": SCALAR, "int64_t": INT, "SymInt": INT, "double": DOUBLE,
    "c10::complex<double>": COMPLEX, "bool": BOOL, "IntArrayRef": INT_LIST,
    "SymIntArrayRef": INT_LIST, "ArrayRef<double>": FLOAT_LIST, "TensorList": TENSOR_LIST,
    "c10::List<::std::optional<Tensor>>": OPT_TENSOR_LIST, "ScalarList": SCALAR_LIST,
    "ScalarType": DTYPE, "Layout": LAYOUT, "Device": DEVICE, "MemoryFormat": MEMORY_FORMAT,
    "Generator": GENERATOR, "c10::string_view": STRING, "std::string_view": STRING,
    "Dimname": DIMNAME, "DimnameList": DIMNAME_LIST, "PyObject*": OBJECT,
}

# What torch's messages call each kind (FunctionParameter::type_name).
_TYPE_NAMES = {
    TENSOR: "Tensor", SCALAR: "Number", INT: "int", DOUBLE: "float", COMPLEX: "complex",
    BOOL: "bool", INT_LIST: "tuple of ints", FLOAT_LIST: "tuple of floats",
    TENSOR_LIST: "tuple of Tensors", OPT_TENSOR_LIST: "tuple of Tensors",
    SCALAR_LIST: "tuple of Scalars", DTYPE: "torch.dtype", LAYOUT: "torch.layout",
    DEVICE: "torch.device", MEMORY_FORMAT: "torch.memory_format",
    GENERATOR: "torch.Generator", STRING: "str", DIMNAME: "name",
    DIMNAME_LIST: "tuple of names", OBJECT: "object",
}

# Ops whose Tensor parameters also take Python numbers (should_allow_numbers_as_tensors).
_NUMBERS_AS_TENSORS = {
    "add", "add_", "div", "div_", "divide", "divide_", "mul", "mul_", "multiply",
    "multiply_", "sub", "sub_", "subtract", "subtract_", "true_divide", "true_divide_", "to",
    "_to_copy", "copy_", "copy", "floor_divide", "floor_divide_", "_conj",
}

# numpy's names that torch's parser takes for some of its parameters.
_NUMPY_NAMES = {"dim": ("axis",), "keepdim": ("keepdims",), "input": ("x", "a", "x1"),
                "other": ("x2",)}

# torch's own names of ember's classes in messages (their C types' tp_name).
_TP_NAMES = {_dtype: "torch.dtype", Generator: "torch._C.Generator", device: "torch.device",
             Size: "torch.Size"}


def type_name(obj: Any) -> str:
    """The name torch's messages give the type of `obj` (Python's tp_name)."""
    t = type(obj)
    name = _TP_NAMES.get(t)
    if name is not None:
        return name
    if t.__module__.startswith("numpy"):
        return "numpy." + t.__name__
    if t is _Unchecked:
        return "object"
    return t.__name__


def _is_int(obj: Any) -> bool:
    # THPUtils_checkLong: Python and NumPy integers, never bool.
    return (isinstance(obj, int) and not isinstance(obj, bool)) or isinstance(obj, np.integer)


def _is_scalar(obj: Any) -> bool:
    return isinstance(obj, (numbers.Number, np.bool_)) and not isinstance(obj, np.ndarray)


def _plain_tensor(obj: Any) -> bool:
    """A tensor that may stand for a number: 0-dim and not requiring grad."""
    return isinstance(obj, Tensor) and not obj._rg and obj._data.ndim == 0


def _int_tensor(obj: Any, numel_one: bool = False) -> bool:
    if not isinstance(obj, Tensor) or obj._rg:
        return False
    a = obj._data
    return (a.size == 1 if numel_one else a.ndim == 0) and a.dtype.kind in "iu"


def _int_element(obj: Any) -> bool:
    """An element that torch takes as an int of an int list: integers and one-element
    integer or bool tensors (torch's is_int_or_symint)."""
    return isinstance(obj, (int, np.integer)) or (
        isinstance(obj, Tensor) and obj._data.size == 1 and obj._data.dtype.kind in "iub")


class _Unchecked:
    """Stands for an argument that a Python function of torch.nn.functional computes or
    checks itself before it calls the native op: it matches any parameter."""

    __slots__ = ()


UNCHECKED = _Unchecked()


class Param:
    """One parameter of a signature."""

    __slots__ = ("name", "kind", "size", "optional", "allow_none", "keyword_only", "default",
                 "names")

    def __init__(self, fmt: str, keyword_only: bool) -> None:
        typ, _, rest = fmt.rpartition(" ")
        name, eq, default = rest.partition("=")
        self.allow_none = typ.endswith("?") or default == "None"
        typ = typ.rstrip("?")
        self.size = 0
        if typ.endswith("]"):
            typ, _, n = typ[:-1].partition("[")
            self.size = int(n)
        self.kind = _KINDS[typ]
        self.name = name
        self.optional = bool(eq)
        self.default = default
        self.keyword_only = keyword_only
        self.names = (name,) + _NUMPY_NAMES.get(name, ())

    def type_name(self) -> str:
        return _TYPE_NAMES[self.kind]

    def check(self, obj: Any, numbers_as_tensors: bool, index: int) -> int | None:
        """None when `obj` matches; else the position of the first element that does not
        (-1 when the value as a whole does not)."""
        kind = self.kind
        if obj is UNCHECKED:
            return None
        if kind == TENSOR:
            ok = isinstance(obj, Tensor) or (numbers_as_tensors and _is_scalar(obj))
        elif kind == SCALAR or kind == COMPLEX:
            ok = _is_scalar(obj) or _plain_tensor(obj)
        elif kind == INT:
            ok = _is_int(obj) or (_int_tensor(obj))
        elif kind == DOUBLE:
            ok = isinstance(obj, (int, float, np.integer, np.floating, np.bool_)) or \
                _plain_tensor(obj)
        elif kind == BOOL:
            ok = isinstance(obj, (bool, np.bool_))
        elif kind == INT_LIST:
            if isinstance(obj, (tuple, list)):
                if not obj or _int_element(obj[0]) and not isinstance(obj[0], bool):
                    return None
                return 0
            # A sized list also takes one int, or a one-element integer or bool tensor.
            ok = self.size > 0 and (_is_int(obj) or isinstance(obj, Tensor) and
                                    _int_element(obj))
        elif kind == FLOAT_LIST:
            # torch looks at a list's first element only: a number (a tensor is not one).
            ok = isinstance(obj, (tuple, list)) and (not obj or isinstance(
                obj[0], (int, float, complex, np.number))) or self.size > 0 and isinstance(
                obj, (int, float))
        elif kind == TENSOR_LIST or kind == OPT_TENSOR_LIST:
            if not isinstance(obj, (tuple, list)):
                return -1
            for i, v in enumerate(obj):
                if not isinstance(v, Tensor) and not (kind == OPT_TENSOR_LIST and v is None):
                    raise TypeError(f"expected Tensor as element {i} in argument {index}, but "
                                    f"got {type_name(v)}")
            return None
        elif kind == SCALAR_LIST:
            ok = isinstance(obj, (tuple, list)) and all(_is_scalar(v) for v in obj)
        elif kind == DTYPE:
            ok = isinstance(obj, _dtype) or any(obj is t for t in (float, int, bool, complex))
        elif kind == DEVICE:
            ok = isinstance(obj, (device, str)) or _is_int(obj)
        elif kind == GENERATOR:
            ok = isinstance(obj, Generator)
        elif kind == STRING or kind == DIMNAME:
            ok = isinstance(obj, str)
        elif kind == DIMNAME_LIST:
            ok = isinstance(obj, (tuple, list)) and all(isinstance(v, str) for v in obj)
        elif kind == LAYOUT:
            ok = isinstance(obj, layout)
            if ok and obj is not strided:
                # Rather than a dense tensor where a sparse one was asked for.
                raise NotImplementedError(f"ember has no {obj!r} tensors: its one layout is "
                                          "torch.strided")
        elif kind == MEMORY_FORMAT:
            ok = isinstance(obj, memory_format)
        else:  # OBJECT
            ok = True
        return None if ok else -1

    def __str__(self) -> str:
        s = f"{self.type_name()} {self.name}"
        return f"{s} = {self.default}" if self.optional else s


class Signature:
    """One overload: torch's FunctionSignature."""

    def __init__(self, fmt: str) -> None:
        self.hidden = fmt.endswith(("|deprecated", "|hidden"))
        fmt = fmt.rpartition("|")[0] if self.hidden else fmt
        self.name, _, rest = fmt.partition("(")
        self.params: list = []
        keyword_only = False
        for p in rest[:-1].split(", ") if rest[:-1] else ():
            if p == "*":
                keyword_only = True
            else:
                self.params.append(Param(p, keyword_only))
        self.min_args = sum(not p.optional for p in self.params)
        self.max_args = len(self.params)
        self.max_pos_args = sum(not p.keyword_only for p in self.params)
        self.varargs = self.max_pos_args == 1 and self.params[0].kind == INT_LIST
        self.numbers_as_tensors = self.name in _NUMBERS_AS_TENSORS

    def __str__(self) -> str:
        parts = []
        for p in self.params:
            if p.keyword_only and "*" not in parts:
                parts.append("*")
            parts.append(str(p))
        return "(" + ", ".join(parts) + ")"

    def parse(self, args: tuple, kwargs: dict, raise_exception: bool) -> bool:
        """Whether the call matches this overload (torch's FunctionSignature::parse); with
        `raise_exception`, torch's TypeError instead of False."""
        nargs = len(args)
        if nargs > self.max_pos_args and not self.varargs:
            if raise_exception:
                self._extra_args(nargs)
            return False
        remaining = len(kwargs)
        arg_pos = 0
        # torch unpacks an int list's elements when the op reads it, after the whole call
        # matched: a later argument's TypeError comes first.
        unpack = []
        for i, p in enumerate(self.params):
            is_kwd = False
            obj = _MISSING
            if arg_pos < nargs:
                if p.keyword_only:
                    if raise_exception:
                        self._extra_args(nargs)
                    return False
                obj = args[arg_pos]
            elif kwargs:
                for n in p.names:
                    if n in kwargs:
                        obj = kwargs[n]
                        break
                is_kwd = True
            varargs = self.varargs and arg_pos == 0 and not is_kwd
            failed = -1
            if (obj is _MISSING and p.optional) or (obj is None and p.allow_none):
                pass
            elif obj is _MISSING:
                if raise_exception:
                    self._missing_args(i)
                return False
            elif (failed := p.check(obj, self.numbers_as_tensors, i)) is None:
                if p.kind == INT_LIST and isinstance(obj, (tuple, list)):
                    unpack.append((p, obj))
            elif varargs and (_int_element(args[0]) and not isinstance(args[0], bool)):
                unpack.append((p, args))
                arg_pos = nargs
                continue
            elif raise_exception:
                if varargs and nargs > self.max_pos_args:
                    self._extra_args(nargs)
                if is_kwd:
                    raise TypeError(f"{self.name}(): argument '{p.name}' must be "
                                    f"{p.type_name()}, not {type_name(obj)}")
                if failed >= 0:
                    raise TypeError(f"{self.name}(): argument '{p.name}' (position "
                                    f"{arg_pos + 1}) must be {p.type_name()}, but found "
                                    f"element of type {type_name(obj[failed])} at pos "
                                    f"{failed}")
                raise TypeError(f"{self.name}(): argument '{p.name}' (position {arg_pos + 1}) "
                                f"must be {p.type_name()}, not {type_name(obj)}")
            else:
                return False
            if not is_kwd:
                arg_pos += 1
            elif obj is not _MISSING:
                remaining -= 1
        if arg_pos < nargs:  # more arguments after a list of sizes
            if raise_exception:
                self._extra_args(nargs)
            return False
        if remaining > 0:
            if raise_exception:
                self._extra_kwargs(kwargs, nargs)
            return False
        for p, seq in unpack:
            self._unpack_ints(p, seq)
        return True

    def _unpack_ints(self, p: Param, seq: Any) -> None:
        # torch checks the first element when it matches overloads and the others when it
        # unpacks the list, with another message.
        for i, v in enumerate(seq):
            if isinstance(v, Tensor) and v._data.dtype == np.bool_ and v._data.size == 1:
                # torch takes it as an int when it matches, and its unpacking then refuses it
                raise RuntimeError("Expected scalar.isIntegral( false) to be true, but got "
                                   "false.  (Could this error message be improved?  If so, "
                                   "please report an enhancement request to PyTorch.)")
            if not _int_element(v):
                raise TypeError(f"{self.name}(): argument '{p.name}' failed to unpack the object "
                                f"at pos {i + 1} with error \"type must be tuple of ints,but got "
                                f"{type_name(v)}\"")

    def _extra_args(self, nargs: int) -> None:
        n = self.max_pos_args
        if self.min_args != n:
            raise TypeError(f"{self.name}() takes from {self.min_args} to {n} positional "
                            f"arguments but {nargs} were given")
        raise TypeError(f"{self.name}() takes {n} positional argument{'' if n == 1 else 's'} "
                        f"but {nargs} {'was' if nargs == 1 else 'were'} given")

    def _missing_args(self, idx: int) -> None:
        missing = [f'"{p.name}"' for p in self.params[idx:] if not p.optional]
        # torch's text says "arguments" for one and "argument" for several.
        raise TypeError(f"{self.name}() missing {len(missing)} required positional "
                        f"argument{'s' if len(missing) == 1 else ''}: {', '.join(missing)}")

    def _extra_kwargs(self, kwargs: dict, nargs: int) -> None:
        for key in kwargs:
            if not isinstance(key, str):
                raise TypeError("keywords must be strings")
            idx = next((i for i, p in enumerate(self.params) if key in p.names), -1)
            if idx < 0:
                raise TypeError(f"{self.name}() got an unexpected keyword argument '{key}'")
            if idx < nargs:
                raise TypeError(f"{self.name}() got multiple values for argument '{key}'")
        raise TypeError("invalid keyword arguments")


_MISSING = object()


class Parser:
    """The overloads of one op (torch's PythonArgParser) and the quick test of a call."""

    def __init__(self, signatures: tuple, method: bool = False, seen: set | None = None) -> None:
        self.signatures = [Signature(s) for s in signatures]
        self.name = self.signatures[0].name
        # A method without arguments is a plain C method in torch: Python's own messages.
        self.noarg = method and len(self.signatures) == 1 and not self.signatures[0].params
        # Per overload: per position, and per keyword, the tags of the types it may accept.
        self.quick_forms = [_quick_form(sig) for sig in self.signatures]
        # The positional type patterns that passed: one argument's type, or the tuple of
        # several's (`bind`'s wrappers look them up themselves).
        self.seen: set = set() if seen is None else seen
        # (position, torch's keyword) of an int list the op takes as *args: spread_keyword.
        self.spread: tuple | None = None

    def spread_keyword(self, fn: Callable, method: bool) -> None:
        """Finds torch's keyword for the int list that `fn` takes as *args
        (`def flip(input, *dims)`: torch.flip(x, dims=[1]) and x.flip(dims=[1])), and how
        many positional arguments come before it: `spread` then passes it positionally."""
        import inspect

        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            return
        positional = [q.kind for q in params if q.kind in (
            q.POSITIONAL_ONLY, q.POSITIONAL_OR_KEYWORD, q.VAR_POSITIONAL)]
        if inspect.Parameter.VAR_POSITIONAL not in positional:
            return
        at = positional.index(inspect.Parameter.VAR_POSITIONAL) - method
        names = {sig.params[at].name for sig in self.signatures
                 if at < len(sig.params) and sig.params[at].kind == INT_LIST}
        if len(names) == 1:
            self.spread = (at, names.pop())

    def quick(self, args: tuple, kwargs: dict) -> bool:
        """Whether each argument has a type that one overload takes at its place (a superset
        of the calls torch accepts: values are not looked at, but for int lists)."""
        if not kwargs:
            # The positional type patterns that passed before answer at the cost of one
            # lookup.
            key = type(args[0]) if len(args) == 1 else tuple(map(type, args))
            if key in self.seen:
                return True
            if self._quick(args, kwargs):
                # Lists are left out: their elements count.
                if len(self.seen) < 64 and not any(
                        t is tuple or t is list or t is Size for t in map(type, args)):
                    self.seen.add(key)
                return True
            return False
        return self._quick(args, kwargs)

    def _quick(self, args: tuple, kwargs: dict) -> bool:
        tags = _TAGS
        n = len(args) + len(kwargs)
        for min_args, pos, kw, varargs in self.quick_forms:
            if n < min_args:
                continue
            if varargs and args and type(args[0]) is int:
                # view(2, 3): the sizes as separate arguments
                for a in args:
                    if type(a) is not int:
                        break
                else:
                    if not kwargs:
                        return True
            if len(args) > len(pos):
                continue
            for a, ok in zip(args, pos):
                t = tags.get(type(a))
                if t not in ok:
                    break
                if t == "L":
                    for v in a:
                        if type(v) is not int:
                            return False
            else:
                if not kwargs:
                    return True
                for k, v in kwargs.items():
                    ok = kw.get(k)
                    t = tags.get(type(v))
                    if ok is None or t not in ok or t == "L":
                        break
                else:
                    return True
        return False

    def check(self, args: tuple, kwargs: dict) -> None:
        """Raises torch's TypeError when no overload takes the call."""
        if self.noarg and (args or kwargs):
            raise TypeError(f"TensorBase.{self.name}() takes no keyword arguments" if kwargs
                            else f"TensorBase.{self.name}() takes no arguments ({len(args)} "
                            "given)")
        for sig in self.signatures:
            if sig.parse(args, kwargs, False):
                return
        if len(self.signatures) == 1:
            self.signatures[0].parse(args, kwargs, True)
        n = len(args) + len(kwargs)
        plausible = [s for s in self.signatures
                     if s.min_args <= n <= s.max_args and not s.hidden]
        if len(plausible) == 1:
            plausible[0].parse(args, kwargs, True)
        options = [str(s) for s in self.signatures if not s.hidden]
        # torch collects the keywords in a std::unordered_map, which hands small maps back
        # in the reverse order of insertion.
        # (torch's text keeps a trailing ", " when there are keywords only.)
        got = "".join([type_name(a) + ", " for a in args]
                      + [f"{k}={type_name(v)}, " for k, v in reversed(kwargs.items())])
        got = "(" + (got[:-2] if args else got) + ")"
        head = f"{self.name}() received an invalid combination of arguments - got {got}, but " \
               "expected "
        if len(options) == 1:
            sig = next(s for s in self.signatures if not s.hidden)
            unknown = [k for k in reversed(kwargs) if not any(k in q.names for q in sig.params)]
            if unknown:
                raise TypeError(f"{self.name}() received an invalid combination of arguments - "
                                f"got unrecognized keyword arguments: {', '.join(unknown)}")
            raise TypeError(head + options[0])
        raise TypeError(head + "one of:\n" + "".join(f" * {o}\n" for o in options))


# Type tags of the quick test: exact types only (anything else takes the full check).
_TAGS: dict = {Tensor: "T", int: "i", bool: "b", float: "f", complex: "c", type(None): "N",
               tuple: "L", list: "L", Size: "L", _dtype: "D", str: "S", Generator: "G",
               device: "V", _Unchecked: "*"}


def _quick_form(sig: Signature) -> tuple:
    pos = tuple(frozenset(_quick_tags(p, sig.numbers_as_tensors)) for p in sig.params
                if not p.keyword_only)
    # numpy's names of parameters take the full check, which hands them on by torch's names
    kw = {p.name: frozenset(_quick_tags(p, sig.numbers_as_tensors)) for p in sig.params}
    return sig.min_args, pos, kw, sig.varargs


def _quick_tags(p: Param, numbers_as_tensors: bool) -> set:
    kind = p.kind
    tags = {"N", "*"} if p.allow_none else {"*"}
    if kind == TENSOR:
        tags |= {"T", "i", "b", "f", "c"} if numbers_as_tensors else {"T"}
    elif kind in (SCALAR, COMPLEX):
        tags |= {"i", "b", "f", "c"}
    elif kind == INT:
        tags.add("i")
    elif kind == DOUBLE:
        tags |= {"i", "b", "f"}
    elif kind == BOOL:
        tags.add("b")
    elif kind == INT_LIST:
        tags |= {"L", "i"} if p.size else {"L"}
    elif kind == DTYPE:
        tags.add("D")
    elif kind == DEVICE:
        tags |= {"V", "S", "i"}
    elif kind == GENERATOR:
        tags.add("G")
    elif kind == STRING:
        tags.add("S")
    elif kind == OBJECT:
        tags |= set(_TAGS.values())
    return tags


# What a bound function that is no op of the transforms checks instead of ACTIVE: never set.
_NO_TRANSFORMS = (0,)


def bind(fn: Callable, signatures: tuple, method: bool = False) -> Callable:
    """`fn` behind torch's argument parser for `signatures`; for a method, the first
    argument is self and is not checked. When `fn` is an op's transform-aware wrapper, the
    bound function makes its transform check itself and calls the op, so that a call pays
    one frame."""
    plain = ORIGINAL_OF.get(fn, fn)
    name = getattr(fn, "__op_name__", None)
    active = _NO_TRANSFORMS if plain is fn else ACTIVE
    parser: list = []
    # The parser's type patterns that passed (Parser.quick): the key of one argument is its
    # type, of several the tuple of their types.
    seen: set = set()

    def get() -> Parser:
        if not parser:
            parser.append(Parser(signatures, method, seen))
            parser[0].spread_keyword(plain, method)
        return parser[0]

    # The commonest calls, a method without arguments or with one, a function of one to three,
    # are spelled out: a call through *args and **kwargs costs about twice a plain one.
    if method:
        def op(self: Any, *args: Any, **kwargs: Any) -> Any:
            if not kwargs:
                if not args:
                    # No test: an op that requires arguments raises.
                    try:
                        if active[0]:
                            return dispatch(plain, name, (self,), {}, fn)
                        return plain(self)
                    except Exception:
                        _full_check(get(), args, kwargs)
                        raise
                if len(args) == 1 and type(args[0]) in seen:
                    try:
                        if active[0]:
                            return dispatch(plain, name, (self, args[0]), {}, fn)
                        return plain(self, args[0])
                    except Exception:
                        _full_check(get(), args, kwargs)
                        raise
            p = get()
            if not p.quick(args, kwargs):
                _full_check(p, args, kwargs)
                kwargs = _torch_names(p, kwargs)
            if p.spread is not None and kwargs:
                args, kwargs = _spread(p.spread, args, kwargs)
            try:
                if active[0]:
                    return dispatch(plain, name, (self, *args), kwargs, fn)
                return plain(self, *args, **kwargs)
            except Exception:
                # A call the quick test let through may still be one torch refuses.
                _full_check(p, args, kwargs)
                raise
    else:
        def op(*args: Any, **kwargs: Any) -> Any:
            if not kwargs:
                n = len(args)
                if n == 1 and type(args[0]) in seen:
                    try:
                        if active[0]:
                            return dispatch(plain, name, (args[0],), {}, fn)
                        return plain(args[0])
                    except Exception:
                        _full_check(get(), args, kwargs)
                        raise
                if n == 2 and (type(args[0]), type(args[1])) in seen:
                    try:
                        if active[0]:
                            return dispatch(plain, name, (args[0], args[1]), {}, fn)
                        return plain(args[0], args[1])
                    except Exception:
                        _full_check(get(), args, kwargs)
                        raise
                if n == 3 and (type(args[0]), type(args[1]), type(args[2])) in seen:
                    try:
                        if active[0]:
                            return dispatch(plain, name, (args[0], args[1], args[2]), {}, fn)
                        return plain(args[0], args[1], args[2])
                    except Exception:
                        _full_check(get(), args, kwargs)
                        raise
            p = get()
            if not p.quick(args, kwargs):
                _full_check(p, args, kwargs)
                kwargs = _torch_names(p, kwargs)
            if p.spread is not None and kwargs:
                args, kwargs = _spread(p.spread, args, kwargs)
            try:
                if active[0]:
                    return dispatch(plain, name, args, kwargs, fn)
                return plain(*args, **kwargs)
            except Exception:
                _full_check(p, args, kwargs)
                raise

    op.__name__ = op.__qualname__ = getattr(fn, "__name__", "op")
    op.__doc__ = getattr(fn, "__doc__", None)
    op.__wrapped__ = fn
    form = getattr(plain, "method_form", None) if method else None
    if form is not None:
        # An op that computes its commonest call itself, with `op` for every other call
        # (see unary_op): the method is that form, one frame instead of two.
        general = op
        op = form(general)
        op.__name__ = op.__qualname__ = general.__name__
        op.__doc__ = general.__doc__
        op.__wrapped__ = fn
    return op


def _raised_by(e: BaseException, fn: Callable) -> bool:
    """Whether `e` comes from the Python code of `fn`'s own module (its checks, as torch's
    Python code makes them), not from an op it calls; an attribute missing on a non-tensor
    is an op meeting a bad argument, unless it is marked `python_level` (torch's Python code
    reaching a method or a protocol of a non-tensor first)."""
    if getattr(e, "python_level", False):
        return True
    code = getattr(_unwrap(fn), "__code__", None)
    tb = e.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and code is not None and \
        tb.tb_frame.f_code.co_filename == code.co_filename and not isinstance(e, AttributeError)


def _unwrap(fn: Callable) -> Callable:
    while hasattr(fn, "__wrapped_op__"):
        fn = fn.__wrapped_op__
    return fn


def _spread(spread: tuple, args: tuple, kwargs: dict) -> tuple:
    """args and kwargs with the int list given by torch's keyword moved to its place."""
    at, key = spread
    if key not in kwargs or len(args) != at:
        return args, kwargs
    kwargs = dict(kwargs)
    return args + (kwargs.pop(key),), kwargs


def _torch_names(p: Parser, kwargs: dict) -> dict:
    """The keywords with torch's names for numpy's (axis -> dim, keepdims -> keepdim)."""
    if not any(k in _NUMPY_ALIASES for k in kwargs):
        return kwargs
    known = {q.name for s in p.signatures for q in s.params}
    return {_NUMPY_ALIASES[k] if k in _NUMPY_ALIASES and _NUMPY_ALIASES[k] in known else k: v
            for k, v in kwargs.items()}


_NUMPY_ALIASES = {alias: name for name, aliases in _NUMPY_NAMES.items() for alias in aliases}


def _full_check(p: Parser, args: tuple, kwargs: dict) -> None:
    try:
        p.check(args, kwargs)
    except TypeError as e:
        raise e.with_traceback(None) from None
    # A Tensor subclass that torch's rules accepted joins the quick test.
    for a in list(args) + list(kwargs.values()):
        t = type(a)
        if t not in _TAGS and isinstance(a, Tensor):
            _TAGS[t] = "T"


def bind_functional(fn: Callable, native: str, table: str, pos: tuple | None,
                    kw: tuple | None, early: bool, signatures: tuple) -> Callable:
    """A function of torch.nn.functional behind the argument parser of the native op it
    calls (`_signatures.FUNCTIONAL`): `pos` and `kw` name the function's parameters that it
    passes on unchanged, in the native's order; None where it passes something else, and a
    leading '?' for a parameter replaced when it is None. When torch's Python code looks
    at the arguments before the native call (`early`), its own errors come first: the
    check then runs after a call that succeeded."""
    if pos is None:
        return bind(fn, signatures)
    state: list = []
    # The types of the calls (positional, keyword names, keyword types) whose native
    # arguments passed the quick test: they depend on these types alone unless a parameter
    # becomes a tuple by iteration (torch's _pair), whose elements count.
    seen: set = set()
    by_types = not any(s is not None and ":" in s for s in (*pos, *(s for _, s in kw)))

    def native_args(args: tuple, kwargs: dict) -> tuple:
        names, parser = state

        def value(spec: str | None) -> Any:
            if spec is None:
                return UNCHECKED
            n, _, name = spec.rpartition(":")
            name = name.lstrip("?")
            i = names.get(name, len(args))
            v = args[i] if i < len(args) else kwargs.get(name, UNCHECKED)
            if v is UNCHECKED or v is None and spec[0] == "?":
                return UNCHECKED
            if n:  # torch's _pair and its kin: an iterable becomes a tuple, else n copies
                try:
                    return tuple(v)
                except TypeError as e:
                    if getattr(e, "python_level", False):
                        raise  # torch's _pair fails the same way, before the native op
                    return (v,) * int(n)
            return v

        return tuple(value(s) for s in pos), {k: value(s) for k, s in kw}

    def op(*args: Any, **kwargs: Any) -> Any:
        if not state:
            import inspect

            params = list(inspect.signature(fn).parameters)
            state.extend(({n: i for i, n in enumerate(params)}, Parser(signatures)))
        parser = state[1]
        checked = table != "METHODS" or (args and isinstance(args[0], Tensor))
        key = None
        passed = False  # the native op's quick test passed for these types before
        if checked and by_types:
            key = tuple(map(type, args))
            if kwargs:
                key = (key, tuple(kwargs), tuple(map(type, kwargs.values())))
            if _LISTS.intersection(key[0] + key[2] if kwargs else key):
                # A list's elements count (layer_norm's normalized_shape): their types too.
                key = (key, tuple(tuple(map(type, v)) for v in (*args, *kwargs.values())
                                  if type(v) in _LISTS))
            if key in seen:
                passed = True
            elif len(seen) >= 64:
                key = None
        if checked and not early and not passed:
            nargs, nkwargs = native_args(args, kwargs)
            if parser.quick(nargs, nkwargs):
                if key is not None:
                    seen.add(key)
            else:
                try:
                    _full_check(parser, nargs, nkwargs)
                except TypeError as refused:
                    # torch's Python code may still fail first, reaching a method or a
                    # protocol of a bad argument on its way to the native op.
                    try:
                        fn(*args, **kwargs)
                    except Exception as e:
                        if getattr(e, "python_level", False):
                            raise
                    raise refused from None
        try:
            out = fn(*args, **kwargs)
        except Exception as e:
            # An error the function raises itself is one of torch's Python-level checks,
            # which come before the native op's; any other means the op met bad arguments.
            if checked and early and not _raised_by(e, fn):
                nargs, nkwargs = native_args(args, kwargs)
                _full_check(parser, nargs, nkwargs)
            raise
        if checked and early and not passed:
            nargs, nkwargs = native_args(args, kwargs)
            if parser.quick(nargs, nkwargs):
                if key is not None:
                    seen.add(key)
            else:
                _full_check(parser, nargs, nkwargs)
        return out

    op.__name__ = op.__qualname__ = getattr(fn, "__name__", "op")
    op.__doc__ = getattr(fn, "__doc__", None)
    op.__wrapped__ = fn
    return op


# The sequence types whose elements the quick test looks at.
_LISTS = frozenset((tuple, list, Size))

_PARSERS: dict = {}


def check_call(name: str, args: tuple, kwargs: dict, table: str = "FUNCTIONS") -> None:
    """Raises torch's TypeError when the torch function `name` (of torch._C._nn with table
    "NN") would refuse the arguments (for code that calls such a function in torch but not
    in ember)."""
    p = _PARSERS.get((table, name))
    if p is None:
        from . import _signatures

        p = _PARSERS[table, name] = Parser(getattr(_signatures, table)[name])
    if not p.quick(args, kwargs):
        _full_check(p, args, kwargs)


def _named(names: tuple, args: tuple, kwargs: dict) -> dict | None:
    # The arguments of a Python function by name; None when Python itself refuses them
    # (the function then raises Python's own error).
    if len(args) > len(names) or any(k not in names for k in kwargs):
        return None
    vals = dict(zip(names, args))
    if any(k in vals for k in kwargs):
        return None
    vals.update(kwargs)
    return vals if names[0] in vals else None


def _unique_call(args: tuple, kwargs: dict) -> tuple | None:
    v = _named(("input", "sorted", "return_inverse", "return_counts", "dim"), args, kwargs)
    if v is None:
        return None
    if "return_inverse" in v:
        # torch.unique is a boolean_dispatch: its Python code asks return_inverse's truth to
        # choose what it returns, before any native op.
        bool(v["return_inverse"])
    kw = {k: v[k] for k in ("sorted", "return_inverse", "return_counts") if k in v}
    if v.get("dim") is not None:
        return "unique_dim", (v["input"], v["dim"]), kw
    return "_unique2", (v["input"],), kw


def _split_call(args: tuple, kwargs: dict) -> tuple | None:
    v = _named(("tensor", "split_size_or_sections", "dim"), args, kwargs)
    if v is None or "split_size_or_sections" not in v or not isinstance(v["tensor"], Tensor):
        return None
    size = v["split_size_or_sections"]
    name = "split" if isinstance(size, int) else "split_with_sizes"
    return name, (v["tensor"], size, v.get("dim", 0)), {}


def _einsum_call(args: tuple, kwargs: dict) -> tuple | None:
    if len(args) < 2 or kwargs or isinstance(args[0], Tensor):
        return None
    operands = args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return "einsum", (args[0], operands), {}


def _atleast_call(name: str) -> Callable:
    def call(args: tuple, kwargs: dict) -> tuple | None:
        if kwargs or not args:
            return None
        return name, (args[0] if len(args) == 1 else args,), {}

    return call


def _norm_call(args: tuple, kwargs: dict) -> tuple | None:
    v = _named(("input", "p", "dim", "keepdim", "out", "dtype"), args, kwargs)
    if v is None or not isinstance(v["input"], Tensor):
        return None
    p, dim = v.get("p", "fro"), v.get("dim")
    dims = [dim] if isinstance(dim, int) else dim
    kw = {"dtype": v.get("dtype")}
    if "out" in v:
        kw["out"] = v["out"]
    if isinstance(p, str):
        if p != "fro" or not (dim is None or isinstance(dim, int) or len(dim) <= 2):
            return None
        p = 2
    return "linalg_vector_norm", (v["input"], 2.0 if p is None else p, dims,
                                  v.get("keepdim", False)), kw


# Functions that torch writes in Python, and how they call their native op: (args, kwargs)
# -> (native name, its args, its kwargs), or None where torch's Python code decides.
PYTHON_FUNCTIONS: dict = {
    "unique": _unique_call, "split": _split_call, "einsum": _einsum_call, "norm": _norm_call,
    "broadcast_tensors": lambda args, kwargs: None if kwargs else
    ("broadcast_tensors", (args,), {}),
    "atleast_1d": _atleast_call("atleast_1d"), "atleast_2d": _atleast_call("atleast_2d"),
    "atleast_3d": _atleast_call("atleast_3d"),
    "chain_matmul": lambda args, kwargs: ("chain_matmul", (args,), {}),
    # torch.lu hands its matrix on to _lu_with_info (its flags become other arguments).
    "lu": lambda args, kwargs: ("_lu_with_info", args[:1], {}) if args else None,
}


def bind_python(fn: Callable, native_call: Callable) -> Callable:
    """`fn` (a function torch writes in Python) behind the argument parser of the native op
    it calls, as `native_call` maps its arguments."""
    def op(*args: Any, **kwargs: Any) -> Any:
        call = native_call(args, kwargs)
        if call is not None:
            check_call(*call)
        return fn(*args, **kwargs)

    op.__name__ = op.__qualname__ = getattr(fn, "__name__", "op")
    op.__doc__ = getattr(fn, "__doc__", None)
    op.__wrapped__ = fn
    return op
