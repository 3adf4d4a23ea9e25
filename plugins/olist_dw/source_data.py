"""Where the nine source files come from: OLIST_SOURCE_DIR as the user keeps them, else a dataset generated
once under OLIST_HOME/source at OLIST_SCALE and OLIST_SEED.

Every consumer of the source files (the batch's land step, the simulator's first tick, the demo) calls
`ensure_source_data()` first, so the commands and DAGs work in any order on a fresh OLIST_HOME. Generating is
idempotent (same scale and seed, same bytes) and safe when two tasks try at once: the first takes a file lock
and generates, the other waits on the lock and then finds the files there. A folder the user set is never
written: a file missing there stays the clear error of the step that needs it.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from olist_dw.contract import SOURCES
from olist_dw.settings import Settings

LOCK_FILE = ".source.lock"


def missing_source_files(source_dir: Path) -> list[str]:
    """The contract's files absent from `source_dir` (a file may also be kept gzipped, `name.csv.gz`)."""
    return [
        source.file_name
        for source in SOURCES
        if not any((source_dir / name).is_file() for name in (source.file_name, source.file_name + ".gz"))
    ]


def ensure_source_data(settings: Settings, quiet: bool = True) -> Path:
    """The folder to read the source files from, generating the dataset first when it is not there yet."""
    if settings.source_dir is not None:
        return settings.source_dir  # the user's folder: read as it is, never generated into
    out = settings.generated_source_dir
    if not missing_source_files(out):
        return out
    settings.home.mkdir(parents=True, exist_ok=True)
    with open(settings.home / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        missing = missing_source_files(out)
        if missing:  # still missing now that we hold the lock: nobody generated meanwhile
            from olist_dw.generator import generate

            print(
                f"source: {len(missing)} of {len(SOURCES)} files missing in {out} (first {missing[0]}): "
                f"generating the dataset at OLIST_SCALE={settings.scale:g}, OLIST_SEED={settings.seed}",
                flush=True,
            )
            generate(out, scale=settings.scale, seed=settings.seed, quiet=quiet)
    return out
