"""Times whole programs, written the way people write torch programs, under ember and torch.

Each file in `programs/` is one program: `build(torch)` sets it up with the library it is
given (ember or torch, under the name torch) and returns `run()`, which does the program's
work once. Each engine runs in a fresh process of its own (the reasons are in isolated.py):
a warm-up run, then the median CPU time of `--runs` runs; the engines alternate for
`--rounds` rounds and the median round is reported, with ember/torch.

    python benchmarks/programs.py                 # every program, one thread
    python benchmarks/programs.py poly_fit lstm_lm --rounds 5
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _one(engine: str, name: str, runs: int, threads: str) -> None:
    """In a fresh process: time one program under one engine and print JSON."""
    # BLAS reads these when NumPy is first imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    sys.path.insert(0, HERE)

    import torch

    torch.set_num_threads(int(threads))
    lib = torch
    if engine == "ember":
        import ember as lib
    import workloads

    run = importlib.import_module(f"programs.{name}").build(lib)
    print(json.dumps({"seconds": workloads.timed(run, runs)}))


def _spawn(engine: str, name: str, runs: int, threads: int) -> float:
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--one", engine, name,
                          "--runs", str(runs), "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])["seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("programs", nargs="*", help="names of files in programs/ (default: all)")
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per process")
    parser.add_argument("--one", nargs=2, metavar=("ENGINE", "PROGRAM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        _one(args.one[0], args.one[1], args.runs, str(args.threads))
        return
    names = args.programs or sorted(f[:-3] for f in os.listdir(os.path.join(HERE, "programs"))
                                    if f.endswith(".py") and not f.startswith("_"))
    print(f"{'program':<16}{'ember s':>10}{'torch s':>10}{'ember/torch':>13}")
    for name in names:
        ratios, times = [], []
        for _ in range(args.rounds):
            e = _spawn("ember", name, args.runs, args.threads)
            t = _spawn("torch", name, args.runs, args.threads)
            ratios.append(e / t)
            times.append((e, t))
        mid = sorted(range(args.rounds), key=ratios.__getitem__)[args.rounds // 2]
        e, t = times[mid]
        print(f"{name:<16}{e:10.3f}{t:10.3f}{ratios[mid]:13.2f}", flush=True)


if __name__ == "__main__":
    main()
