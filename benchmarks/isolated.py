"""Times one workload of one engine in a fresh process: the median CPU time of several runs
after a warm-up, and the page faults per run. A fresh process keeps the engines from sharing
the allocator's state (which large arrays the C library has kept or returned to the system),
which otherwise decides whether an engine pays for fresh pages.

    python benchmarks/isolated.py ember w7_cnn 5 1     # engine, workload, runs, threads
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def main() -> None:
    engine, workload, runs, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    # BLAS reads these when NumPy is first imported.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = threads
    sys.path.insert(0, os.path.dirname(__file__))
    import gc

    import torch

    torch.set_num_threads(int(threads))
    if engine == "numpy":
        import numpy_floor

        run = getattr(numpy_floor, workload)()
    else:
        import ember
        import workloads

        run = getattr(workloads, workload)(ember if engine == "ember" else torch)
    run()
    seconds, faults = [], []
    for _ in range(runs):
        gc.collect()
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0 = time.process_time()
        run()
        seconds.append(time.process_time() - t0)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
    seconds.sort()
    faults.sort()
    print(json.dumps({"seconds": seconds[runs // 2], "faults": faults[runs // 2]}))


if __name__ == "__main__":
    main()
