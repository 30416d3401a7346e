"""Measures what `import ember` costs on top of NumPy.

    PYTHONPATH=src python benchmarks/import_time.py [runs]

Prints the median wall and CPU time of `runs` (default 5) fresh interpreters for an empty
program, `import numpy` and `import ember`, the ratio
(t(ember) - t(numpy)) / (t(numpy) - t(empty)), which is at most 1.0 when ember costs no
more than NumPy does on top of a bare interpreter, and the ten modules that `-X importtime`
charges the most cumulative time for `import ember`. Standard-library modules that ember
pulls in count against ember, since a program pays for them. CPU time (the child's user +
system time) moves less than wall time when other work shares the machine.

The children cache bytecode in a temporary folder (PYTHONPYCACHEPREFIX, whatever
PYTHONDONTWRITEBYTECODE says), as an installed package has it: without the cache every
run would compile each of ember's modules again, which is most of the time measured.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

_ENV = dict(os.environ)
_ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def _fresh(code: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one fresh interpreter running `code`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=_ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _top_ten() -> list[tuple[int, int, str]]:
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import ember"],
                          check=True, capture_output=True, text=True, env=_ENV)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:"):].split("|")
        if name.strip() == "site" and name.startswith(" site"):
            rows = []  # what the interpreter loads before the program is not ember's
            continue
        rows.append((int(cumulative_us), int(self_us), name.rstrip()))
    return sorted(rows, reverse=True)[:10]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as cache:
        _ENV["PYTHONPYCACHEPREFIX"] = cache
        _measure(runs)


def _measure(runs: int) -> None:
    # Alternate the three so that a change in the machine's load hits all of them alike.
    samples: dict[str, list[tuple[float, float]]] = {"empty": [], "numpy": [], "ember": []}
    codes = {"empty": "pass", "numpy": "import numpy", "ember": "import ember"}
    for code in codes.values():
        _fresh(code)  # warm the file-system and bytecode caches
    for _ in range(runs):
        for key, code in codes.items():
            samples[key].append(_fresh(code))
    for column, clock in ((0, "wall"), (1, "CPU")):
        t = {key: statistics.median(v[column] for v in values)
             for key, values in samples.items()}
        ratio = (t["ember"] - t["numpy"]) / (t["numpy"] - t["empty"])
        print(f"{clock} time, median of {runs}: empty interpreter {t['empty'] * 1e3:.1f} ms, "
              f"import numpy {t['numpy'] * 1e3:.1f} ms, import ember {t['ember'] * 1e3:.1f} ms")
        print(f"  ratio (ember - numpy) / (numpy - empty) = {ratio:.2f}  (target <= 1.0)")
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys; n = len(sys.modules); import ember; "
         "print(len([m for m in sys.modules if m.startswith('ember')]), len(sys.modules) - n)"],
        check=True, capture_output=True, text=True, env=_ENV).stdout.split()
    print(f"modules loaded by import ember: {loaded[1]} ({loaded[0]} of them ember's)")
    print("-X importtime, top ten by cumulative time (us):")
    for cumulative, self_us, name in _top_ten():
        print(f"  {cumulative:8d} {self_us:8d}  {name}")


if __name__ == "__main__":
    main()
