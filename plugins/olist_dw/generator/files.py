"""Reading real Olist files (.csv or .csv.gz) and writing CSV exactly as the real files are written."""

from __future__ import annotations

import csv
import gzip
import io
import shutil
from collections.abc import Iterator
from pathlib import Path

from olist_dw.contract import SOURCES, SourceFile, needs_quotes
from olist_dw.errors import UserFacingError

TRANSLATION = "product_category_name_translation.csv"


def find_real_files(folder: Path | str | None) -> dict[str, Path]:
    """The real files present in `folder`, by contract file name (each as name.csv or name.csv.gz)."""
    if folder is None:
        return {}
    folder = Path(folder)
    if not folder.is_dir():
        raise UserFacingError(f"real-data folder not found: {folder}")
    found: dict[str, Path] = {}
    for source in SOURCES:
        for candidate in (folder / source.file_name, folder / f"{source.file_name}.gz"):
            if candidate.is_file():
                found[source.file_name] = candidate
                break
    return found


def open_text(path: Path) -> io.TextIOBase:
    """A real file as text (UTF-8, BOM dropped, newlines kept for the csv module)."""
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - the caller closes it


def read_rows(path: Path, source: SourceFile) -> Iterator[list[str]]:
    """Rows of a real file as lists of strings, after checking its header against the contract."""
    with open_text(path) as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header != source.header:
            raise UserFacingError(f"{path}: header {header} does not match the contract's {source.header}")
        for line_number, row in enumerate(reader, start=2):
            if len(row) != len(source.columns):
                raise UserFacingError(f"{path}, row {line_number}: {len(row)} fields, expected {len(source.columns)}")
            yield row


def copy_decompressed(path: Path, target: Path) -> None:
    """Copy a real file byte for byte (gunzipped when it is .gz)."""
    if path.suffix == ".gz":
        with gzip.open(path, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, length=1 << 20)
    else:
        shutil.copyfile(path, target)


def quote_text(value: str) -> str:
    """A text field as the real files write it: quoted when it starts with a digit or holds , " or a line break."""
    if needs_quotes(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def quote_id(value: str) -> str:
    """An id (32 hex characters) is quoted exactly when it starts with a digit."""
    return f'"{value}"' if value[0] <= "9" else value


def header_line(source: SourceFile) -> str:
    # The real headers quote every name, except the translation file's.
    if source.file_name == TRANSLATION:
        return ",".join(source.header)
    return ",".join(f'"{name}"' for name in source.header)


class CsvOut:
    """One output file: header first, then pre-formatted lines; counts rows and bytes."""

    def __init__(self, folder: Path, source: SourceFile):
        self.source = source
        self.path = folder / source.file_name
        self.rows = 0
        self._handle = open(self.path, "w", encoding="utf-8", newline="", buffering=1 << 20)  # noqa: SIM115
        self._eol = "\r\n" if source.crlf else "\n"
        if source.bom:
            self._handle.write("\ufeff")
        self._handle.write(header_line(source))

    def write_lines(self, lines: list[str]) -> None:
        if not lines:
            return
        eol = self._eol
        self._handle.write(eol)
        self._handle.write(eol.join(lines))
        self.rows += len(lines)

    def close(self) -> None:
        if not self.source.crlf:
            self._handle.write("\n")
        self._handle.close()
