"""The dbt docs site: `dbt docs generate` into OLIST_HOME/dbt-docs, served by a static HTTP server on localhost.

The artifacts stay out of include/dbt/target (Cosmos renders the DAGs from the manifest there). The catalog
(column types, row counts) is read from the build warehouse; DuckDB takes one writer at a time, so while a
pipeline holds the file the docs are built without it: models, columns, tests, exposures and the lineage graph
come from the project alone (`--no-compile --empty-catalog`).
"""

from __future__ import annotations

import functools
import socket
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from olist_dw.errors import UserFacingError
from olist_dw.settings import Settings

DOCS_DIRNAME = "dbt-docs"


class DocsPortInUseError(UserFacingError):
    retryable = True


@dataclass(frozen=True)
class DocsBuild:
    directory: Path
    with_catalog: bool
    note: str  # why the catalog is empty, or where it was read from


def docs_dir(settings: Settings) -> Path:
    return settings.home / DOCS_DIRNAME


def docs_built(settings: Settings) -> bool:
    directory = docs_dir(settings)
    return all((directory / name).is_file() for name in ("index.html", "manifest.json", "catalog.json"))


def docs_url(settings: Settings) -> str:
    return f"http://{settings.client_host}:{settings.docs_port}/"


def warehouse_lock_holder(path: Path) -> str | None:
    """None when the DuckDB file can be opened; else DuckDB's message (another process writes it)."""
    import duckdb

    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.IOException as err:
        return str(err)
    return None


def build_docs(settings: Settings) -> DocsBuild:
    """`dbt docs generate` with the DAGs' dbt environment; the catalog from the build warehouse when it is free."""
    from olist_dw.dbt_runner import release_in_process_dbt_duckdb, run_dbt
    from olist_dw.targets import get_target

    target = get_target(settings)
    directory = docs_dir(settings)
    paths = ["--target-path", str(directory), "--log-path", str(directory / "logs")]
    args = ["docs", "generate", *paths]
    with_catalog, note = True, f"catalog read from {settings.warehouse_path}"
    if target.warehouse_pool is not None:  # a one-writer warehouse file (DuckDB): a pipeline may hold it
        release_in_process_dbt_duckdb()  # this process's own dbt-duckdb handle is no other writer
        holder = warehouse_lock_holder(settings.warehouse_path) if settings.warehouse_path.exists() else None
        if not settings.warehouse_path.exists():
            with_catalog, note = False, f"no warehouse at {settings.warehouse_path} yet (run `make demo` first)"
        elif holder is not None:
            with_catalog = False
            note = f"the warehouse {settings.warehouse_path} is in use by another process (a running pipeline?)"
        if not with_catalog:
            # Compiling opens (or creates) the warehouse too; without it `docs generate` writes no manifest, so
            # `dbt parse` writes it. The docs then lack compiled SQL, column types and row counts only.
            args += ["--no-compile", "--empty-catalog"]
    directory.mkdir(parents=True, exist_ok=True)
    try:
        if not with_catalog:
            run_dbt(["parse", *paths], target)
        run_dbt(args, target)
    finally:
        # dbt-duckdb keeps the file open in this process: a pipeline started while the docs are served must
        # find it free.
        release_in_process_dbt_duckdb()
    return DocsBuild(directory, with_catalog, note)


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


def docs_server(directory: Path, host: str, port: int) -> ThreadingHTTPServer:
    """A static server of `directory` on host:port (not started: call serve_forever; port 0 picks a free one)."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server_class = type(
        "DocsHTTPServer",
        (ThreadingHTTPServer,),
        {"address_family": socket.AF_INET6 if ":" in host else socket.AF_INET, "daemon_threads": True},
    )
    try:
        return server_class((host, port), handler)
    except OSError as err:
        raise DocsPortInUseError(
            f"cannot serve the dbt docs on {host}:{port} ({err.strerror}): set OLIST_DOCS_PORT or pass --port"
        ) from err
