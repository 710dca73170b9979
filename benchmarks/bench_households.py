"""Household-months per second for the Nanpu scenario scaled to 10^4, 10^5 and 10^6 households,
with peak memory (see ruralsim.bench). Same as ``ruralsim bench --reps 0``.

    python benchmarks/bench_households.py            # 1e4, 1e5, 1e6
    python benchmarks/bench_households.py 2000000    # other sizes (the first is the baseline)
"""
import sys

from ruralsim.bench import report

if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    report(sizes, reps=0)
