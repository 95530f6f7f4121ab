"""Do the forest's members carry aleatoric information, or is epistemic (BALD) ranking vote entropy?

Scores one cycle's alm candidate pool (its proposals and probe) under one registered model version of a
run kept with ``benchmarks/sample_efficiency.py --keep``, and prints: the share of member distributions
that are one-hot, the pool's mean entropy split into aleatoric and epistemic parts (nats), the rank
correlations of epistemic uncertainty with vote entropy and with ``1 − margin``, and how far the ``k``
most uncertain samples by margin and by epistemic uncertainty overlap.

    python benchmarks/sample_efficiency.py --seeds 1 --first-seed 910 --strategies alm --keep /tmp/keep
    python benchmarks/forest_members.py /tmp/keep alm-s910 --cycle 3 --version 3
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from envirosense.models.datasets import iter_dataset
from envirosense.models.features import FeatureExtractor
from envirosense.models.registry import ModelRegistry
from envirosense.models.training import member_predict_proba
from envirosense.models.uncertainty import UncertaintyScores, entropy, mean_member_proba


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workspace", type=Path, help="the --keep folder of a sample-efficiency run")
    parser.add_argument("run", help="run id, e.g. alm-s910")
    parser.add_argument("--cycle", type=int, default=3, help="cycle whose pool is scored")
    parser.add_argument("--version", default="3", help="model version that scores it")
    parser.add_argument("--top", type=int, default=500, help="k of the top-k overlap (alm's shortlist: 2 × budget)")
    args = parser.parse_args(argv)

    registry = ModelRegistry.for_run(args.run, f"sqlite:///{args.workspace}/mlflow.db", workspace=args.workspace)
    model = registry.load(args.version)
    extractor = FeatureExtractor.from_params(model.extractor_params)
    cycle = args.workspace / "runs" / args.run / f"cycle-{args.cycle}"
    rows = [sample for folder in [*sorted(cycle.glob("sg-*")), cycle / "probe"] for sample in iter_dataset(folder)]
    members = member_predict_proba(model.estimator, extractor.model_input(extractor.transform(rows).values))
    scores = UncertaintyScores(mean_member_proba(members), members)
    votes = members.argmax(axis=2)
    shares = np.stack([(votes == c).mean(axis=0) for c in range(members.shape[2])], axis=1)

    print(f"min_samples_leaf {model.estimator.min_samples_leaf}, {members.shape[0]} members, pool {len(rows)}")
    print(f"member distributions one-hot: {(members.max(axis=2) > 1 - 1e-9).mean():.3f}")
    print(
        f"mean entropy {scores.entropy.mean():.3f} nats = aleatoric {scores.aleatoric.mean():.3f} "
        f"+ epistemic {scores.epistemic.mean():.3f}"
    )
    print(
        f"spearman(epistemic, vote entropy) {spearmanr(scores.epistemic, entropy(shares))[0]:.3f}, "
        f"spearman(epistemic, 1 - margin) {spearmanr(scores.epistemic, scores.margin)[0]:.3f}"
    )
    by_margin = np.argsort(-scores.margin, kind="stable")[: args.top]
    by_epistemic = np.argsort(-scores.epistemic, kind="stable")[: args.top]
    print(
        f"top {args.top} by margin and by epistemic overlap: {len(set(by_margin) & set(by_epistemic)) / args.top:.3f}"
    )
    for name, top in (("margin", by_margin), ("epistemic", by_epistemic)):
        aleatoric_share = scores.aleatoric[top].sum() / scores.entropy[top].sum()
        print(
            f"  top {args.top} by {name}: aleatoric share of entropy {aleatoric_share:.3f}, "
            f"mean 1 - margin {scores.margin[top].mean():.3f}, mean epistemic {scores.epistemic[top].mean():.3f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
