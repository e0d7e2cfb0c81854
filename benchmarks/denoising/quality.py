"""Quality table for denoising: DnCNN and CBDNet vs BM3D, non-local means, wavelets.

Trains each run once into ``runs/bench-denoising/<run>/`` (finished runs are reused, so
the table can be built up over several sittings) and evaluates it on the fixed noisy test
photos at every noise setting of the table (cached in the run folder):

* ``dncnn-grey-s25``, ``dncnn-colour-s25``: fixed-sigma DnCNN-S at sigma 25;
* ``dncnn-grey-blind``, ``dncnn-colour-blind``: DnCNN-B trained over sigma 0-55, tested at
  sigma 15, 25, 50 (the colour one also on realistic camera noise, as CBDNet's paper
  compares);
* ``cbdnet-realistic``: CBDNet trained on CBDNet's camera noise (preset ``realistic``);
* with ``--fixed-sigmas 15,50`` also fixed-sigma grey DnCNNs at those levels;
* with ``--self-ensemble`` every row again with the model averaged over the 8 flips and
  quarter-turns of each test image (``model.self_ensemble``; 8x the inference time);
* with ``--seeds 1234,2`` each run once per training seed (``train.seed``: the weights'
  initialisation and the training patches and noise); runs of a seed other than the
  preset's are named ``<run>-seed<N>``, so the spread between runs is in the table.

    python benchmarks/denoising/quality.py [--only dncnn-grey-s25,...] [--fixed-sigmas 15,50]
        [--seeds 1234,2] [--self-ensemble]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from deeptasks.benchmarking import markdown_table, train_once
from deeptasks.config import TrainConfig

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# run name -> (preset, model, overrides, [(noise, sigma) it is tested at])
RUNS = {
    "dncnn-grey-s25": ("benchmark", "dncnn", [], [("gaussian", 25)]),
    "dncnn-grey-blind": (
        "benchmark",
        "dncnn",
        ["data.blind=true"],
        [("gaussian", 15), ("gaussian", 25), ("gaussian", 50)],
    ),
    # per-weight gradient clipping: without it, seed 1234 stalled at 25 dB (see the page)
    "dncnn-colour-s25": (
        "benchmark",
        "dncnn",
        ["data.color=true", "train.clipnorm=1.0"],
        [("gaussian", 25)],
    ),
    "dncnn-colour-blind": (
        "benchmark",
        "dncnn",
        ["data.color=true", "data.blind=true"],
        [("gaussian", 15), ("gaussian", 25), ("gaussian", 50), ("realistic", None)],
    ),
    "cbdnet-realistic": ("realistic", "cbdnet", [], [("realistic", None)]),
}


def evaluate_at(workdir: Path, noise: str, sigma: float | None, ensemble: bool = False) -> dict:
    """The run's model on the test photos with this noise (cached in the run folder),
    self-ensembled if ``ensemble``."""
    tag = f"eval-{noise}" + (f"-s{sigma:g}" if sigma is not None else "")
    tag += "-x8.json" if ensemble else ".json"
    path = workdir / tag
    if not path.exists():
        from deeptasks.common.io import write_json
        from deeptasks.runs import load_run

        task, cfg, model = load_run(workdir)
        cfg.data.noise = noise
        if sigma is not None:
            cfg.data.sigma = float(sigma)
        cfg.model.self_ensemble = ensemble
        print(f"evaluating {workdir.name} at {noise} {sigma or ''} {tag}", flush=True)
        result = task.evaluate(model, cfg)
        result.pop("per_image")
        write_json(path, result)
    return json.loads(path.read_text())


def per_seed(runs: dict, seeds: list[int]) -> dict:
    """Each run once per training seed; a seed other than the presets' adds
    ``train.seed=N`` and ``-seedN`` to the run's name."""
    seeded = {}
    for name, (preset, model, overrides, settings) in runs.items():
        for seed in seeds:
            if seed == TrainConfig.seed:
                seeded[name] = (preset, model, overrides, settings)
            else:
                extra = [f"train.seed={seed}"]
                seeded[f"{name}-seed{seed}"] = (preset, model, [*overrides, *extra], settings)
    return seeded


def _row(name: str, result: dict, metrics: dict) -> tuple:
    others = result["baselines"]
    psnr = {who: others[who]["psnr"] for who in others}
    speed = result["megapixels_per_second"]
    return (
        result["noise"],
        name,
        f"{result['model']['psnr']:.2f}",
        f"{psnr['bm3d']:.2f}",
        f"{result['model']['psnr'] - psnr['bm3d']:+.2f}",
        f"{psnr['nl_means']:.2f}",
        f"{psnr['wavelet']:.2f}",
        f"{psnr['noisy']:.2f}",
        f"{result['model']['ssim']:.3f}",
        f"{others['bm3d']['ssim']:.3f}",
        f"{speed['model']:.3f}",
        f"{speed['bm3d']:.4f}",
        f"{metrics['train_seconds'] / 60:.1f}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(RUNS), help="comma-separated run names")
    parser.add_argument("--fixed-sigmas", default="", help="e.g. 15,50: more fixed-sigma runs")
    parser.add_argument("--seeds", default="", help="e.g. 1234,2: train each run per seed")
    parser.add_argument(
        "--self-ensemble", action="store_true", help="also each row with 8-view self-ensemble"
    )
    parser.add_argument("--root", default="runs/bench-denoising")
    args = parser.parse_args()
    runs = {name: RUNS[name] for name in args.only.split(",") if name}
    for sigma in filter(None, args.fixed_sigmas.split(",")):
        runs[f"dncnn-grey-s{sigma}"] = (
            "benchmark",
            "dncnn",
            [f"data.sigma={sigma}"],
            [("gaussian", float(sigma))],
        )
    if args.seeds:
        runs = per_seed(runs, [int(text) for text in args.seeds.split(",")])
    rows = []
    for name, (preset, model, overrides, settings) in runs.items():
        workdir = Path(args.root) / name
        metrics = train_once("denoising", workdir, preset, model, overrides)
        for noise, sigma in settings:
            for ensemble in (False, True) if args.self_ensemble else (False,):
                result = evaluate_at(workdir, noise, sigma, ensemble)
                rows.append(_row(name + (" x8" if ensemble else ""), result, metrics))
    header = (
        "test noise",
        "run",
        "model PSNR",
        "BM3D",
        "vs BM3D",
        "NL-means",
        "wavelet",
        "noisy",
        "model SSIM",
        "BM3D SSIM",
        "model MP/s",
        "BM3D MP/s",
        "train min",
    )
    print(
        f"\ndenoising, test photos ({metrics['data']['corpus']}, "
        f"{metrics['data']['splits']['test']} images, centre {metrics['data']['test_crop']} px), "
        f"{metrics['machine']}"
    )
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
