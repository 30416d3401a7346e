"""The seed tutorial ("Automatic differentiation with torch.autograd", in Russian): its code
cells run under torch and under ember (bound to the name `torch`) print the same lines,
object addresses aside."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import torch

import ember

ROOT = Path(__file__).resolve().parents[1]
SEED = sorted((ROOT.parent / "shared" / "seeds").glob("000_*.txt"))


def tutorial_source() -> str:
    """The code cells of the seed text (the lines after each `In [n]:` up to the first blank
    line), or the example that holds the same code when the seed text is not beside the
    checkout."""
    if SEED:
        cells = []
        lines = SEED[0].read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if re.fullmatch(r"In \[\d+\]:\s*", line):
                for code in lines[i + 1:]:
                    if not code.strip():
                        break
                    cells.append(code)
        source = "\n".join(cells)
    else:
        source = (ROOT / "examples" / "autograd_tutorial.py").read_text(encoding="utf-8")
    return "\n".join(ln for ln in source.splitlines()
                     if ln.strip() not in ("import torch", "import ember as torch"))


def run_tutorial(lib) -> list:
    out = io.StringIO()
    lib.manual_seed(0)
    with contextlib.redirect_stdout(out):
        exec(compile(tutorial_source(), "tutorial", "exec"), {"torch": lib})
    return [re.sub(r"0x[0-9a-fA-F]+", "0x...", ln) for ln in out.getvalue().splitlines()]


def test_source_has_the_tutorial_cells():
    src = tutorial_source()
    assert "binary_cross_entropy_with_logits(z, y)" in src
    assert "Call after zeroing gradients" in src
    assert "import torch" not in src


def test_tutorial_prints_what_torch_prints():
    expected = run_tutorial(torch)
    got = run_tutorial(ember)
    assert len(got) == len(expected)
    for i, (g, e) in enumerate(zip(got, expected)):
        assert g == e, f"line {i}: ember printed {g!r}, torch printed {e!r}"
