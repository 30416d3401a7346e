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
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    run()  # warm-up: the first run also pays for the operating system's fresh pages
    t0 = time.process_time()
    run()
    seconds = time.process_time() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_mib": (peak - base) / 1024}))


if __name__ == "__main__":
    main()
