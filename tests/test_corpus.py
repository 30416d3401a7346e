"""Whole programs, written the way people write torch programs, run under real torch and
under `python -m ember` and compared line by line.

Each program in tests/corpus/ is a complete script that imports `torch` (and `torch.nn`,
`torch.utils.data`, ...) and prints losses, accuracies and parameter values along the way, so
that a silent difference cannot hide. Both runs get the same seed from the program itself,
one thread (so that torch's summation order does not depend on the machine's core count),
and a fresh working folder for the files they write.

Lines must match word for word, except numbers, which must agree within the tolerance of the
program's dtype (float32: 1e-4 relative; float64: 1e-10) or within one unit of the last
digit printed, whichever is larger: a value printed to four decimals can round either way
when the two runs differ in the ninth. Object addresses (`0x7f...`) are masked.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"
SRC = Path(__file__).resolve().parents[1] / "src"
# The programs that compute in float64 throughout; every other one computes in float32.
FLOAT64 = {"lbfgs_fit"}
_NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def _run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", PYTHONHASHSEED="0")
    env["PYTHONPATH"] = os.pathsep.join([str(SRC)] + env.get("PYTHONPATH", "").split(os.pathsep))
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def _digits_after_point(text: str) -> int:
    mantissa = text.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _close(a: str, b: str, rtol: float) -> bool:
    x, y = float(a), float(b)
    if x == y or (x != x and y != y):
        return True
    exponent = int(a.lower().split("e")[1]) if "e" in a.lower() else 0
    last_digit = 10.0 ** (exponent - _digits_after_point(a))
    return abs(x - y) <= max(rtol * max(abs(x), abs(y)), 1.0000001 * last_digit)


def compare_outputs(ember_out: str, torch_out: str, rtol: float) -> list[str]:
    """The differences between two printed outputs, as messages (empty when they agree)."""
    problems = []
    e_lines = _ADDRESS.sub("0x...", ember_out).splitlines()
    t_lines = _ADDRESS.sub("0x...", torch_out).splitlines()
    if len(e_lines) != len(t_lines):
        problems.append(f"ember printed {len(e_lines)} lines, torch {len(t_lines)}")
    for n, (e, t) in enumerate(zip(e_lines, t_lines), 1):
        e_nums, t_nums = _NUMBER.findall(e), _NUMBER.findall(t)
        same_words = _NUMBER.sub("#", e) == _NUMBER.sub("#", t)
        if not same_words or len(e_nums) != len(t_nums) or not all(
                _close(a, b, rtol) for a, b in zip(t_nums, e_nums)):
            problems.append(f"line {n}:\n  torch: {t}\n  ember: {e}")
    return problems


def test_compare_outputs_catches_differences():
    assert compare_outputs("loss 0.1234\n", "loss 0.1235\n", 1e-4) == []
    assert compare_outputs("loss 0.1234\n", "loss 0.1240\n", 1e-4) != []
    assert compare_outputs("acc 97.8%\n", "acc 95.6%\n", 1e-4) != []
    assert compare_outputs("tensor([1.5000])\n", "tensor([1.5000], dtype=x)\n", 1e-4) != []
    assert compare_outputs("a\n", "a\nb\n", 1e-4) != []
    assert compare_outputs("0.00037029530825068244\n", "0.00037029530825068250\n", 1e-10) == []
    assert compare_outputs("0.000370295308\n", "0.000370295318\n", 1e-10) != []


@pytest.mark.parametrize("name", sorted(p.stem for p in CORPUS.glob("*.py")))
def test_program_prints_what_torch_prints(name, tmp_path):
    program = str(CORPUS / f"{name}.py")
    (tmp_path / "torch").mkdir()
    (tmp_path / "ember").mkdir()
    with ThreadPoolExecutor(2) as pool:
        under_torch = pool.submit(_run, [sys.executable, program], tmp_path / "torch")
        under_ember = pool.submit(_run, [sys.executable, "-m", "ember", program],
                                  tmp_path / "ember")
        t, e = under_torch.result(), under_ember.result()
    assert t.returncode == 0, f"the program fails under torch:\n{t.stderr[-3000:]}"
    assert e.returncode == 0, f"the program fails under ember:\n{e.stderr[-3000:]}"
    problems = compare_outputs(e.stdout, t.stdout, 1e-10 if name in FLOAT64 else 1e-4)
    assert not problems, "\n".join(problems[:10])
