"""`olist-dw generate`: write the nine Olist CSV files (synthetic, or around real files with --real-dir)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "generate",
        help="write the nine Olist CSV files at a given scale",
        description="Write the nine Olist-shaped CSV files. Same scale, seed and real files give the same bytes.",
    )
    parser.add_argument("--scale", type=float, default=None, help="1.0 = real size, 0.001 .. 10 (default OLIST_SCALE)")
    parser.add_argument("--seed", type=int, default=None, help="same scale and seed give the same bytes")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default OLIST_HOME/source)")
    parser.add_argument(
        "--real-dir",
        type=Path,
        default=None,
        help=(
            "folder of real Olist files (.csv or .csv.gz): copied byte for byte, the rest generated around "
            "their keys (with real payments, the scale follows that file)"
        ),
    )
    parser.add_argument(
        "--release",
        type=int,
        default=1,
        choices=(1, 2),
        help=(
            "1 (default): the dataset; 2: its later release (same scale and seed): some sellers moved, some "
            "products changed category or dimensions, new sellers, products and orders after release 1's last day"
        ),
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument(
        "--calibrate-from",
        type=Path,
        default=None,
        metavar="DIR",
        help="instead of generating: recompute the calibration from the real products, sellers and payments in DIR",
    )
    parser.add_argument(
        "--calibration-out",
        type=Path,
        default=None,
        metavar="FILE",
        help="where --calibrate-from writes (default: the package's calibration.json)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.calibrate_from is not None:
        from olist_dw.generator.calibration import CALIBRATION_PATH, write_calibration

        path = write_calibration(args.calibrate_from, args.calibration_out or CALIBRATION_PATH)
        print(f"calibration written to {path}")
        return 0
    from olist_dw.settings import get_settings

    settings = get_settings()
    generate_and_summarise(
        scale=settings.scale if args.scale is None else args.scale,
        seed=settings.seed if args.seed is None else args.seed,
        out=args.out or settings.generated_source_dir,
        real_dir=args.real_dir,
        quiet=args.quiet,
        release=args.release,
    )
    return 0


def generate_and_summarise(
    scale: float,
    seed: int,
    out: Path | str,
    real_dir: Path | str | None = None,
    quiet: bool = False,
    release: int = 1,
) -> list:
    """Generate the dataset and print one line per file: file, rows, bytes (and whether it is real)."""
    import time

    from olist_dw.generator import generate

    started = time.perf_counter()
    summaries = generate(out, scale=scale, seed=seed, real_dir=real_dir, quiet=quiet, release=release)
    elapsed = time.perf_counter() - started
    width = max(len(s.file_name) for s in summaries)
    from_real = f", real files from {real_dir}" if real_dir else ""
    of_release = f", release {release}" if release != 1 else ""
    print(f"source: {Path(out)} (scale {scale:g}, seed {seed}{of_release}{from_real})")
    print(f"  {'file':<{width}} {'rows':>10} {'bytes':>12}")
    for s in summaries:
        origin = "  (real)" if s.origin == "real" else ""
        print(f"  {s.file_name:<{width}} {s.rows:>10,} {s.bytes:>12,}{origin}")
    total_rows, total_bytes = sum(s.rows for s in summaries), sum(s.bytes for s in summaries)
    print(f"  {'total':<{width}} {total_rows:>10,} {total_bytes:>12,}  in {elapsed:.1f} s")
    return summaries
