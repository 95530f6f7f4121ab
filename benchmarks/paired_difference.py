"""Paired AUBC difference of two strategies of a sample-efficiency results file, per evaluation set.

Reads the JSON that ``benchmarks/sample_efficiency.py`` writes and prints, for the seeds both labels ran,
the mean of ``AUBC(first) − AUBC(second)`` on each evaluation set with its bootstrap 95 % interval (over
seeds, paired), the per-seed differences and how many seeds the first label wins.

    python benchmarks/paired_difference.py benchmarks/results/issue17/sample_efficiency_quick-main.json \
        alm pool-margin
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from envirosense.learning.comparison import aubc, bootstrap_mean

EVALUATION_SETS = ("uniform", "low-intensity")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a sample_efficiency_*.json")
    parser.add_argument("first", help="label whose AUBC is the minuend")
    parser.add_argument("second", help="label subtracted (the baseline)")
    args = parser.parse_args(argv)
    runs = json.loads(args.results.read_text("utf-8"))["runs"]
    missing = [label for label in (args.first, args.second) if label not in runs]
    if missing:
        print(f"no runs labelled {', '.join(missing)} in {args.results}; labels: {', '.join(runs)}", file=sys.stderr)
        return 2
    every = [record for label in (args.first, args.second) for record in runs[label]]
    start = max(record["samples"][0] for record in every)
    end = min(record["samples"][-1] for record in every)
    baseline = {record["seed"]: record for record in runs[args.second]}
    pairs = [(record, baseline[record["seed"]]) for record in runs[args.first] if record["seed"] in baseline]
    rng = np.random.default_rng(0)
    print(f"{args.first} − {args.second}: AUBC over {start}–{end} samples, {len(pairs)} paired seeds")
    for evaluation in EVALUATION_SETS:
        deltas = np.array(
            [
                aubc(a["samples"], a[evaluation], start, end) - aubc(b["samples"], b[evaluation], start, end)
                for a, b in pairs
            ]
        )
        estimate = bootstrap_mean(deltas, rng)
        print(
            f"{evaluation:14s} {estimate.text(4, signed=True):28s} wins {int((deltas > 0).sum())}/{len(deltas)}"
            f"  per seed {' '.join(f'{d:+.3f}' for d in deltas)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
