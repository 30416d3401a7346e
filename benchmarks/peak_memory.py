"""Runs one workload in a fresh process and reports its CPU time and the growth of the
process's peak resident memory, so that engines are compared on the memory they need."""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def main() -> None:
    engine, workload = sys.argv[1], sys.argv[2]
    sys.path.insert(0, os.path.dirname(__file__))
    import numpy  # noqa: F401
    import torch

    torch.set_num_threads(1)
    import ember
    import workloads

    lib = ember if engine == "ember" else torch
    run = getattr(workloads, workload)(lib)
    # Memory: the first run's growth, before any allocator holds on to freed pages. Time:
    # the second run, once both have paid for the operating system's fresh pages.
    base = _reset_peak()
    run()
    peak_mib = (_peak() - base) / 1024
    t0 = time.process_time()
    run()
    seconds = time.process_time() - t0
    print(json.dumps({"seconds": seconds, "peak_mib": peak_mib}))


def _status(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _reset_peak() -> int:
    """Resets the process's peak resident memory to its current size (Linux), so that an
    earlier high-water mark (imports, the warm-up) does not hide the run's; returns the
    current size in KiB."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _status("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak() -> int:
    try:
        return _status("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
