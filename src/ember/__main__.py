"""`python -m ember prog.py [args]`, `python -m ember -m module [args]` and
`python -m ember -c code [args]`: run a torch program unchanged, with `torch` and every
`torch.*` module resolved to ember's."""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
import types

from . import _torch_alias

USAGE = """usage: python -m ember prog.py [arg ...]
       python -m ember -m module [arg ...]
       python -m ember -c code [arg ...]
Runs a torch program with `torch` and every `torch.*` module resolved to ember's."""

# Frames of the launcher itself, left out of the program's tracebacks, and of the import
# hook, left out of the end of a failed import's traceback (as Python leaves out its own).
_LAUNCHER_FILES = {__file__, runpy._run_code.__code__.co_filename}
_IMPORT_FILES = {_torch_alias.__file__, importlib.import_module.__code__.co_filename}


def _run_code(code: str) -> None:
    module = types.ModuleType("__main__")
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = module
    try:
        exec(compile(code, "<string>", "exec"), module.__dict__)
    finally:
        sys.modules["__main__"] = saved


def _report(exc: BaseException) -> None:
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename in _LAUNCHER_FILES:
        tb = tb.tb_next
    last = None
    cur = tb
    while cur is not None:
        name = cur.tb_frame.f_code.co_filename
        if name not in _IMPORT_FILES and not name.startswith("<frozen importlib"):
            last = cur
        cur = cur.tb_next
    if last is not None:
        last.tb_next = None
    sys.excepthook(type(exc), exc, exc.with_traceback(tb).__traceback__)


def main(args: list | None = None) -> int:
    """Runs the program the arguments name, as Python would; returns its exit status."""
    args = sys.argv[1:] if args is None else list(args)
    if not args:
        print(USAGE, file=sys.stderr)
        return 2
    if args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if args[0] in ("-m", "-c") and len(args) < 2:
        print(f"Argument expected for the {args[0]} option\n{USAGE}", file=sys.stderr)
        return 2
    if args[0].startswith("-") and args[0] not in ("-m", "-c"):
        print(f"Unknown option: {args[0]}\n{USAGE}", file=sys.stderr)
        return 2
    if args[0] not in ("-m", "-c") and not os.path.exists(args[0]):
        print(f"{sys.executable}: can't open file {os.path.abspath(args[0])!r}: [Errno 2] No "
              "such file or directory", file=sys.stderr)
        return 2
    _torch_alias.install_as_torch()
    if args[0] == "-m":
        if importlib.util.find_spec(args[1]) is None:
            print(f"{sys.executable}: No module named {args[1]}", file=sys.stderr)
            return 1
        sys.argv = args[1:]

        def run() -> None:
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    elif args[0] == "-c":
        sys.argv = ["-c"] + args[2:]
        sys.path[0] = ""

        def run() -> None:
            _run_code(args[1])
    else:
        path = args[0]
        sys.argv = args
        sys.path[0] = os.path.dirname(os.path.realpath(path))

        def run() -> None:
            runpy.run_path(path, run_name="__main__")
    try:
        run()
    except (SystemExit, KeyboardInterrupt):
        raise
    except BaseException as exc:
        _report(exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
