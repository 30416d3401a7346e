"""Compares ember's own cost on the W1-W7 workloads between two versions of ember.

    python benchmarks/compare_trees.py BEFORE AFTER                  # both measures
    python benchmarks/compare_trees.py 3346f02 . --mode instructions W1 W4a
    python benchmarks/compare_trees.py 3346f02 HEAD --mode time --rounds 7

BEFORE and AFTER are each a directory that holds ember's `src/` (`.` is this checkout) or a
git revision, whose `src/` is exported with `git archive` into a temporary directory (the
working tree and the list of worktrees are left alone). Both run the workload definitions of
this checkout (`workloads.py`), at the reduced sizes of `SIZES` below, the same for both.

Two measures, each in fresh processes with one thread (BLAS, OpenMP and torch):

* `instructions`: the instructions that the measured run executes, counted by valgrind's
  callgrind with PYTHONHASHSEED=0. The count does not depend on what else the machine runs,
  so a difference of a few tenths of a percent is real. Only the measured run is counted:
  the process imports the engine, builds the workload and runs it once as a warm-up with
  collection off (`--collect-atstart=no`); the measured run is called through
  `sys.call_tracing`, a function nothing else calls, and `--toggle-collect=sys_call_tracing`
  counts exactly what runs inside it. torch is counted once, the same way, for the
  ember/torch ratio of instructions.
* `time`: CPU time of the process (`time.process_time`), median of `--runs` runs after a
  warm-up in each process; BEFORE, AFTER and torch take turns in fresh processes for
  `--rounds` rounds, so load that comes and goes falls on all three alike. Reported: the
  median round and the range over rounds, and ember/torch per round (median and range).

Every process imports torch, as `isolated.py` does, so that the cyclic collector sees the
same heap of long-lived objects in both engines' processes.

The profiles stay in `--out` (callgrind.out.<tree>.<workload>); `callgrind_annotate` on the
two profiles of a workload shows which C functions (for Python code: the interpreter's,
its object allocation and the collector) did the extra work.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

# Reduced sizes, so that a run under callgrind (about 50-100 times slower than native)
# takes a minute or two, each still the workload's kind of work: W1 and W4 are long chains
# of small ops (W4 at two lengths, for the growth per op that the collector causes), W2 a
# graph of 0-dim tensors, W3 and W7 training steps dominated by matrix products and
# convolution, W5 large arrays, W6 a full hessian.
SIZES = {
    "W1": ("w1_chain", {"n": 2000}),
    "W2": ("w2_micrograd", {"steps": 1, "points": 50}),
    "W3": ("w3_mlp", {"steps": 20}),
    "W4a": ("w4_chain", {"n": 10_000}),
    "W4b": ("w4_chain", {"n": 100_000}),
    "W5": ("w5_large", {"size": 1_000_000}),
    "W6": ("w6_hessian", {"n": 200}),
    "W7": ("w7_cnn", {"iters": 5}),
}

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def child(engine: str, workload: str, src: str, runs: int, counted: bool) -> None:
    """Runs in the measured process: builds the workload, warms it up, then either one run
    inside `sys.call_tracing` (counted) or `runs` timed runs; prints one JSON line."""
    import gc

    if engine == "ember":
        sys.path.insert(0, os.path.join(src, "src"))
    sys.path.insert(0, HERE)
    import torch

    torch.set_num_threads(1)
    import workloads

    if engine == "ember":
        import ember as lib

        where = os.path.dirname(os.path.dirname(os.path.abspath(lib.__file__)))
    else:
        lib, where = torch, "torch"
    name, kwargs = SIZES[workload]
    run = getattr(workloads, name)(lib, **kwargs)
    if counted:
        run()
        gc.collect()
        sys.call_tracing(run, ())
        print(json.dumps({"src": where}))
        return
    print(json.dumps({"src": where, "seconds": workloads.timed(run, runs)}))


def _env() -> dict:
    env = dict(os.environ, PYTHONHASHSEED="0")
    env.pop("PYTHONPATH", None)
    for var in THREAD_VARS:
        env[var] = "1"
    return env


def _child_cmd(engine: str, workload: str, src: str, runs: int, counted: bool) -> list:
    return [sys.executable, os.path.abspath(__file__), "--child", engine, workload, src,
            str(runs), "1" if counted else "0"]


def _result(proc: subprocess.CompletedProcess, src: str) -> dict:
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({src}):\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if src != "torch" and os.path.realpath(out["src"]) != os.path.realpath(
            os.path.join(src, "src")):
        raise SystemExit(f"imported ember from {out['src']}, not {src}/src")
    return out


def count(engine: str, workload: str, src: str, out_file: str) -> int:
    """Instructions of one measured run under callgrind."""
    cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
           "--collect-atstart=no", "--toggle-collect=sys_call_tracing"]
    proc = subprocess.run(cmd + _child_cmd(engine, workload, src, 1, True),
                          capture_output=True, text=True, env=_env())
    _result(proc, src)
    with open(out_file) as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s*(\d+)", line)
            if m:
                return int(m.group(1))
    raise SystemExit(f"no totals in {out_file}")


def cpu_time(engine: str, workload: str, src: str, runs: int) -> float:
    proc = subprocess.run(_child_cmd(engine, workload, src, runs, False),
                          capture_output=True, text=True, env=_env())
    return _result(proc, src)["seconds"]


def resolve(tree: str, tmp: str, label: str) -> str:
    """A directory holding src/ for a directory or a git revision."""
    if os.path.isdir(os.path.join(tree, "src")):
        return os.path.abspath(tree)
    dest = os.path.join(tmp, label)
    os.makedirs(dest)
    archive = subprocess.run(["git", "-C", REPO, "archive", tree, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", dest], input=archive, check=True)
    return dest


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _spread(values: list, fmt: str) -> str:
    return (f"{format(statistics.median(values), fmt)} "
            f"({format(min(values), fmt)}-{format(max(values), fmt)})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        engine, workload, src, runs, counted = sys.argv[2:7]
        child(engine, workload, src, int(runs), counted == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", help="directory with src/, or a git revision")
    parser.add_argument("after", help="directory with src/, or a git revision")
    parser.add_argument("workloads", nargs="*", help=f"of {' '.join(SIZES)} (default: all)")
    parser.add_argument("--mode", choices=("instructions", "time", "both"), default="both")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (time)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per process (time)")
    parser.add_argument("--out", default=None,
                        help="directory for the callgrind profiles (default: a new one)")
    args = parser.parse_intermixed_args()
    chosen = args.workloads or list(SIZES)
    for w in chosen:
        if w not in SIZES:
            parser.error(f"unknown workload {w!r}; known: {' '.join(SIZES)}")
    tmp = tempfile.mkdtemp(prefix="compare_trees.")
    try:
        trees = {"before": resolve(args.before, tmp, "before"),
                 "after": resolve(args.after, tmp, "after")}
        print(f"before: {args.before} ({trees['before']})")
        print(f"after:  {args.after} ({trees['after']})")
        print(f"load average at start: {_load()}", flush=True)
        if args.mode in ("instructions", "both"):
            out = args.out or tempfile.mkdtemp(prefix="callgrind.")
            os.makedirs(out, exist_ok=True)
            print(f"\ninstructions of one run (callgrind; profiles in {out})")
            print(f"{'work':<6}{'before':>16}{'after':>16}{'after/before':>14}{'torch':>16}"
                  f"{'e/t before':>12}{'e/t after':>11}", flush=True)
            for w in chosen:
                n = {label: count("ember", w, src, os.path.join(out, f"callgrind.out.{label}.{w}"))
                     for label, src in trees.items()}
                t = count("torch", w, "torch", os.path.join(out, f"callgrind.out.torch.{w}"))
                print(f"{w:<6}{n['before']:>16,}{n['after']:>16,}"
                      f"{n['after'] / n['before']:>14.4f}{t:>16,}"
                      f"{n['before'] / t:>12.3f}{n['after'] / t:>11.3f}", flush=True)
        if args.mode in ("time", "both"):
            print(f"\nCPU time, median of {args.runs} runs per process, {args.rounds} "
                  "alternating rounds: median round (range), seconds; ember/torch per round")
            print(f"{'work':<6}{'before':>26}{'after':>26}{'torch':>26}"
                  f"{'e/t before':>20}{'e/t after':>20}", flush=True)
            for w in chosen:
                times: dict = {"before": [], "after": [], "torch": []}
                for _ in range(args.rounds):
                    for label, src in trees.items():
                        times[label].append(cpu_time("ember", w, src, args.runs))
                    times["torch"].append(cpu_time("torch", w, "torch", args.runs))
                rb = [b / t for b, t in zip(times["before"], times["torch"])]
                ra = [a / t for a, t in zip(times["after"], times["torch"])]
                print(f"{w:<6}" + "".join(f"{_spread(times[k], '.4f'):>26}" for k in times)
                      + f"{_spread(rb, '.3f'):>20}{_spread(ra, '.3f'):>20}", flush=True)
        print(f"\nload average at end: {_load()}")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
