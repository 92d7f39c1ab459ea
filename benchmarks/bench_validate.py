"""Validation time of generated specs from 10 to 5,000 tasks: it must grow about linearly.

Run: .venv/bin/python benchmarks/bench_validate.py [--quick]
Prints time per spec and per task, and the log-log slope between sizes (1.0 = linear).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gen import layered_spec

from pipespec.project import load_string


def best_of(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    args = parser.parse_args()
    sizes = [10, 100, 1000] if args.quick else [10, 100, 500, 1000, 2000, 5000]
    repeat = 3 if args.quick else 5
    # Only the core checks: target checks are benchmarked with each target.
    rows = []
    for n in sizes:
        text = layered_spec(n)
        result = load_string(text, f"generated_{n}.yaml", targets=[])
        assert result.ok, [d.format() for d in result.diagnostics[:3]]
        secs = best_of(lambda text=text, n=n: load_string(text, f"generated_{n}.yaml", targets=[]), repeat)
        rows.append((n, len(text), secs))
    print(f"{'tasks':>6} {'bytes':>9} {'validate (ms)':>14} {'µs/task':>9} {'slope vs prev':>14}")
    prev = None
    for n, size, secs in rows:
        slope = ""
        if prev:
            slope = f"{math.log(secs / prev[1]) / math.log(n / prev[0]):.2f}"
        print(f"{n:>6} {size:>9} {secs * 1000:>14.1f} {secs / n * 1e6:>9.1f} {slope:>14}")
        prev = (n, secs)
    first, last = rows[0], rows[-1]
    overall = math.log(last[2] / first[2]) / math.log(last[0] / first[0])
    print(f"overall log-log slope {first[0]}→{last[0]} tasks: {overall:.2f} (1.00 = linear)")


if __name__ == "__main__":
    main()
