"""Runs ember and torch on the same workloads in one process and prints medians and ratios.

    python benchmarks/run.py            # all workloads, one thread each
    python benchmarks/run.py W1 W4      # a selection
    python benchmarks/run.py --threads 2
    python benchmarks/run.py W3 W7 --rounds 5
"""

from __future__ import annotations

import argparse
import os
import sys

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("workloads", nargs="*", help="ids such as W1 W4 (default: all)")
parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
parser.add_argument("--rounds", type=int, default=3,
                    help="fresh-process rounds per engine for W3, W6, W7 (median reported)")
args = parser.parse_args()

# BLAS reads these when NumPy is first imported.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

sys.path.insert(0, os.path.dirname(__file__))

import torch  # noqa: E402

import ember  # noqa: E402
import numpy_floor  # noqa: E402
import workloads  # noqa: E402

torch.set_num_threads(args.threads)


def row(name: str, unit_ops: int, ember_s: float, torch_s: float, floor_s: float | None,
        target: str) -> None:
    per = 1e6 / unit_ops
    floor = f"{floor_s * per:9.2f}" if floor_s is not None else f"{'-':>9}"
    ratio_floor = f"{ember_s / floor_s:6.2f}" if floor_s is not None else f"{'-':>6}"
    print(f"{name:<10}{ember_s * per:10.2f}{torch_s * per:10.2f}{floor}"
          f"{ember_s / torch_s:9.2f}{ratio_floor:>9}   {target}")


def bench_w1() -> None:
    n = 2000
    e = workloads.timed(workloads.w1_chain(ember, n))
    t = workloads.timed(workloads.w1_chain(torch, n))
    f = workloads.timed(numpy_floor.w1_chain(n))
    row("W1", n, e, t, f, "<= 0.3")


def bench_w4() -> None:
    for n in (10_000, 100_000, 1_000_000):
        repeat = 3 if n < 1_000_000 else 1
        e = workloads.timed(workloads.w4_chain(ember, n), repeat)
        t = workloads.timed(workloads.w4_chain(torch, n), repeat)
        row(f"W4 {n:.0e}", n, e, t, None, "<= 0.5, flat per op")


def bench_w2() -> None:
    e = workloads.timed(workloads.w2_micrograd(ember), 3)
    t = workloads.timed(workloads.w2_micrograd(torch), 3)
    row("W2", 20, e, t, None, "<= 0.4 (per step)")


def _isolated(engine: str, workload: str) -> dict:
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, os.path.join(os.path.dirname(__file__), "peak_memory.py"), engine,
         workload], check=True, capture_output=True, text=True, env=os.environ).stdout
    return json.loads(out.strip().splitlines()[-1])


def bench_w5() -> None:
    runs = {e: [_isolated(e, "w5_large") for _ in range(3)] for e in ("ember", "torch")}
    sec = {e: sorted(r["seconds"] for r in rs)[1] for e, rs in runs.items()}
    mem = {e: sorted(r["peak_mib"] for r in rs)[1] for e, rs in runs.items()}
    row("W5", 20, sec["ember"], sec["torch"], None, "<= 1.0 time")
    ratio = f"{mem['ember'] / mem['torch']:9.2f}" if mem["torch"] > 0 else f"{'-':>9}"
    print(f"{'W5 memory':<10}{mem['ember']:9.0f}M{mem['torch']:9.0f}M{'':>9}"
          f"{ratio}{'':>9}   <= 0.5 peak memory")


def _fresh(engine: str, workload: str, runs: int) -> float:
    """Median CPU seconds of `workload` run by `engine` (ember, torch, numpy) in a process of
    its own (see isolated.py)."""
    import json
    import subprocess

    out = subprocess.run(
        [sys.executable, os.path.join(os.path.dirname(__file__), "isolated.py"), engine,
         workload, str(runs), str(args.threads)],
        check=True, capture_output=True, text=True, env=os.environ).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def _fresh_row(name: str, workload: str, units: int, runs: int, floor: bool,
               target: str) -> None:
    engines = ("ember", "torch", "numpy") if floor else ("ember", "torch")
    # Fresh processes in turn, `--rounds` times: on a shared machine, load that comes and
    # goes then falls on every engine alike; the median of the rounds is reported.
    times: dict = {e: [] for e in engines}
    for _ in range(args.rounds):
        for e in engines:
            times[e].append(_fresh(e, workload, runs))
    med = {e: sorted(v)[len(v) // 2] for e, v in times.items()}
    row(name, units, med["ember"], med["torch"], med.get("numpy"), target)


def bench_w3() -> None:
    if not workloads.digits()[2]:
        print("W3: scikit-learn is not installed; a synthetic data set of digits' shape")
    _fresh_row("W3", "w3_mlp", 200, 5, True, "<= 0.7, <= 1.15 x numpy (per step)")


def bench_w6() -> None:
    _fresh_row("W6", "w6_hessian", 1, 7, False, "<= 1.0 (per hessian)")


def bench_w7() -> None:
    _fresh_row("W7", "w7_cnn", 20, 5, True, "<= 1.0 (per forward+backward)")


BENCHES = {"W1": bench_w1, "W2": bench_w2, "W3": bench_w3, "W4": bench_w4, "W5": bench_w5,
           "W6": bench_w6, "W7": bench_w7}


def main() -> None:
    chosen = args.workloads or list(BENCHES)
    print(f"threads: {args.threads}   times are microseconds per op (median)")
    print(f"{'work':<10}{'ember':>10}{'torch':>10}{'numpy':>9}{'e/torch':>9}{'e/numpy':>9}"
          "   target (ember/torch)")
    for name in chosen:
        BENCHES[name.upper()]()


if __name__ == "__main__":
    main()
