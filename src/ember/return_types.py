"""Named tuples for ops with several results, printed as torch prints its structseqs:
`torch.return_types.max(\\nvalues=tensor(...),\\nindices=tensor(...))`."""

from __future__ import annotations

from typing import Any

__all__ = ["max", "min", "median", "nanmedian", "mode", "kthvalue", "sort", "topk", "cummax",
           "cummin", "aminmax", "var_mean", "std_mean", "frexp",
           "structseq"]


class _StructSeq(tuple):
    """A tuple whose items also have names, like torch.return_types.*."""

    __slots__ = ()
    _fields: tuple = ()
    n_fields = n_sequence_fields = 0
    n_unnamed_fields = 0

    def __new__(cls, values: Any) -> _StructSeq:
        values = tuple(values)
        if len(values) != len(cls._fields):
            raise TypeError(f"torch.return_types.{cls.__name__}() takes a {len(cls._fields)}-"
                            f"sequence ({len(values)}-sequence given)")
        return tuple.__new__(cls, values)

    def __repr__(self) -> str:
        body = ",\n".join(f"{k}={v!r}" for k, v in zip(self._fields, self))
        return f"torch.return_types.{type(self).__name__}(\n{body})"

    __str__ = __repr__

    def __reduce__(self) -> tuple:
        return (type(self), (tuple(self),))


def structseq(name: str, fields: tuple = ("values", "indices")) -> type:
    """A structseq type named `name` with the given field names."""
    ns: dict = {"__slots__": (), "_fields": fields, "n_fields": len(fields),
                "n_sequence_fields": len(fields), "__module__": __name__}
    for i, f in enumerate(fields):
        ns[f] = property(lambda self, i=i: tuple.__getitem__(self, i))
    return type(name, (_StructSeq,), ns)


max = structseq("max")
min = structseq("min")
median = structseq("median")
nanmedian = structseq("nanmedian")
mode = structseq("mode")
kthvalue = structseq("kthvalue")
sort = structseq("sort")
topk = structseq("topk")
cummax = structseq("cummax")
cummin = structseq("cummin")
aminmax = structseq("aminmax", ("min", "max"))
var_mean = structseq("var_mean", ("var", "mean"))
std_mean = structseq("std_mean", ("std", "mean"))
frexp = structseq("frexp", ("mantissa", "exponent"))
