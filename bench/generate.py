"""Benchmark of the data generator: wall time, rows per second and peak memory for one scale.

    .venv/bin/python bench/generate.py --scale 1 [--seed 42] [--real-dir ../shared/data/olist-real] [--keep DIR]

The generation runs in a child process so that its peak RSS (ru_maxrss of the children) is measured alone.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

CHILD = """
import json, sys
from olist_dw.generator import generate
summaries = generate(sys.argv[1], scale=float(sys.argv[2]), seed=int(sys.argv[3]), real_dir=sys.argv[4] or None)
print(json.dumps([[s.file_name, s.rows, s.bytes] for s in summaries]))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--real-dir", default="", help="mixed mode: folder of real files")
    parser.add_argument("--keep", default=None, help="write the files here instead of a temporary folder")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="olist-bench-") as scratch:
        out = args.keep or scratch
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", CHILD, out, str(args.scale), str(args.seed), args.real_dir],
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return result.returncode
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        files = json.loads(result.stdout.strip().splitlines()[-1])

    rows = sum(f[1] for f in files)
    size = sum(f[2] for f in files)
    print(f"scale {args.scale:g}, seed {args.seed}{', real files from ' + args.real_dir if args.real_dir else ''}")
    for name, n, b in files:
        print(f"  {name:<40} {n:>12,} rows {b / 1e6:>10.1f} MB")
    print(f"rows           {rows:,}")
    print(f"bytes          {size / 1e6:,.1f} MB")
    print(f"wall time      {wall:.1f} s (cpu {usage.ru_utime + usage.ru_stime:.1f} s)")
    print(f"rows/s         {rows / wall:,.0f}")
    print(f"peak RSS       {usage.ru_maxrss / 1024:,.0f} MiB")  # ru_maxrss is in KiB on Linux
    print(f"cores          {os.cpu_count()} (machine load {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
