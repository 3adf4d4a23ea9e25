"""The Olist source contract: the nine CSV files, their exact headers and column types.

The contract is data, written once in olist_sources.json beside this module: file names, columns, kinds,
row rules, closed value lists, the foreign keys between the files ("references", checked by validate
parents first: `parents_first`), and Brazil's states with their customer counts, CEP ranges and capitals
(the generator and the simulator derive their geography from them). This module reads it into `SOURCES`
etc. for the generator (what it writes), the validator (what it accepts), the converter (the explicit
Parquet schemas) and the warehouse loader (the raw tables). The Glue job include/glue/csv_to_parquet.py
reads the same file: the deploy uploads it beside the script and the job receives it with --extra-files.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

CONTRACT_FILE = Path(__file__).with_name("olist_sources.json")
_CONTRACT: dict = json.loads(CONTRACT_FILE.read_text(encoding="utf-8"))


class Kind(StrEnum):
    ID = "id"  # 32 lowercase hex characters
    INT = "int"
    MONEY = "money"  # up to 2 decimals, '.' as decimal point -> decimal(12, 2)
    FLOAT = "float"  # coordinates -> double
    TIMESTAMP = "timestamp"  # YYYY-MM-DD HH:MM:SS, no zone (Brazil local time)
    ZIP = "zip"  # 5 characters with leading zeros: text, never an integer
    STATE = "state"  # two upper-case letters
    TEXT = "text"


# Warehouse column types of the raw layer, valid on DuckDB and Redshift alike.
SQL_TYPES: dict[Kind, str] = {
    Kind.ID: "varchar(32)",
    Kind.INT: "integer",
    Kind.MONEY: "decimal(12, 2)",
    Kind.FLOAT: "double precision",
    Kind.TIMESTAMP: "timestamp",
    Kind.ZIP: "varchar(5)",
    Kind.STATE: "varchar(2)",
    Kind.TEXT: "varchar(65535)",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    nullable: bool = False


@dataclass(frozen=True)
class Reference:
    """A foreign key between two files: every `column` value of a row must be the `parent_column` of a
    row of `parent` (a table) that validate kept."""

    column: str
    parent: str
    parent_column: str


@dataclass(frozen=True)
class SourceFile:
    file_name: str
    table: str  # raw table name in the warehouse (schema `raw`) and folder name in the lake
    columns: tuple[Column, ...]
    # CSV details of the real files that a byte-for-byte reader must accept.
    bom: bool = False
    crlf: bool = False
    references: tuple[Reference, ...] = ()  # its foreign keys (the contract's "references")

    @property
    def header(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def stem(self) -> str:
        return self.file_name.removesuffix(".csv")


def _source(spec: dict) -> SourceFile:
    columns = tuple(Column(name, Kind(kind), "nullable" in flags) for name, kind, *flags in spec["columns"])
    references = tuple(Reference(r["column"], r["parent"], r["parent_column"]) for r in spec.get("references", ()))
    return SourceFile(
        spec["file"],
        spec["table"],
        columns,
        bom=spec.get("bom", False),
        crlf=spec.get("crlf", False),
        references=references,
    )


def parents_first(sources: tuple[SourceFile, ...]) -> tuple[SourceFile, ...]:
    """`sources` ordered so that every file comes after the files it references (contract order otherwise):
    a child's keys are checked against what its parents kept. References to a table outside `sources` are
    ignored here; a cycle is an error of the contract."""
    tables = {s.table for s in sources}
    ordered: list[SourceFile] = []
    placed: set[str] = set()
    while len(ordered) < len(sources):
        ready = [
            s
            for s in sources
            if s.table not in placed and all(r.parent in placed or r.parent not in tables for r in s.references)
        ]
        if not ready:
            left = sorted(tables - placed)
            raise ValueError(f"{CONTRACT_FILE.name}: the references of {', '.join(left)} form a cycle")
        ordered.append(ready[0])
        placed.add(ready[0].table)
    return tuple(ordered)


def _check_references(sources: tuple[SourceFile, ...]) -> None:
    """Every reference names a column of its file and an existing parent table and column."""
    by_table = {s.table: s for s in sources}
    for source in sources:
        for ref in source.references:
            parent = by_table.get(ref.parent)
            if ref.column not in source.header or parent is None or ref.parent_column not in parent.header:
                raise ValueError(f"{CONTRACT_FILE.name}: {source.table} has a broken reference {ref}")


SOURCES: tuple[SourceFile, ...] = tuple(_source(spec) for spec in _CONTRACT["sources"])
_check_references(SOURCES)
SOURCES_BY_FILE = {s.file_name: s for s in SOURCES}
SOURCES_BY_TABLE = {s.table: s for s in SOURCES}


@dataclass(frozen=True)
class BrazilState:
    """One of Brazil's 27 federative units, as the generator and the simulator place people in it."""

    code: str
    name: str  # 'São Paulo', as the dashboard's map labels it
    region: str  # N, NE, CO, SE, S
    customers: int  # Olist customers in the state (customers file, 99,441 rows)
    zip_ranges: tuple[tuple[int, int], ...]  # inclusive 5-digit CEP prefix ranges
    capital: str  # proper name ('São Paulo'); `plain(capital)` is how the files spell it


# The states in order of Olist customers (SP first): the one definition of Brazil's geography.
BRAZIL: tuple[BrazilState, ...] = tuple(
    BrazilState(
        code,
        s["name"],
        s["region"],
        s["customers"],
        tuple((low, high) for low, high in s["zip_ranges"]),
        s["capital"],
    )
    for code, s in _CONTRACT["brazil_states"].items()
)
BRAZIL_STATES: tuple[str, ...] = tuple(sorted(s.code for s in BRAZIL))  # the allowed state codes

VALUE_LISTS: dict[str, tuple[str, ...]] = {name: tuple(v) for name, v in _CONTRACT["value_lists"].items()}
VALUE_LISTS["brazil_states"] = BRAZIL_STATES
ORDER_STATUSES = VALUE_LISTS["order_statuses"]
PAYMENT_TYPES = VALUE_LISTS["payment_types"]
REVIEW_SCORES = VALUE_LISTS["review_scores"]
# Columns whose values come from a closed list: (table, column) -> allowed values.
ALLOWED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    (rule["table"], rule["column"]): VALUE_LISTS[rule["values"]] for rule in _CONTRACT["allowed_values"]
}
# Full-match pattern of each kind's values, valid in RE2 (pyarrow) and Python's `re`. TEXT accepts anything.
PATTERNS: dict[Kind, str] = {Kind(kind): pattern for kind, pattern in _CONTRACT["patterns"].items()}
TIMESTAMP_FORMAT: str = _CONTRACT["timestamp_format"]  # the one format of every source timestamp


def needs_quotes(value: str) -> bool:
    """Quoting rule of the real files: a text field is quoted when it starts with a digit
    (ids like "25e8...", zip prefixes like "01037") or holds a comma, quote or line break."""
    return bool(value) and (value[0].isdigit() or any(ch in value for ch in ',"\r\n'))


def plain(name: str) -> str:
    """How the Olist files mostly spell a city: lower case, no accents ('São Paulo' -> 'sao paulo')."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
