"""Writing results: CSV files with a fixed format, summary.json, written atomically.

- Times are ISO 8601 UTC to the second (``2024-03-05T14:00:00Z``); floats are rounded per column
  (coordinates to 6 decimals, ~0.1 m; other figures to 3; scores to 4), so output is byte-stable.
- Text cells that start with ``= + - @`` (their full-width forms U+FF1D, U+FF0B, U+FF0D, U+FF20 too, or tab /
  carriage return) are prefixed with ``'``, and so is a formula start right after a ``;`` (where
  ";" separates cells): vessel names and destinations are broadcast by anyone, and a spreadsheet
  would run them as formulas (CSV injection).
- The results folder changes all at once or not at all: everything is written into a staging folder beside
  ``--out``, summary.json last with the SHA-256 of every file, then swapped in (:mod:`vesseltrack.outdir`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.outdir import ResultsFolder

_COORD = {"lat", "lon", "start_lat", "start_lon", "end_lat", "end_lon", "search_min_lat", "search_min_lon",
          "search_max_lat", "search_max_lon"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")  # and full-width =+-@
#: A formula start right after a semicolon: a spreadsheet in a locale whose list separator is ";"
#: splits an unquoted "A;=cmd" into two cells and evaluates the second.
_AFTER_SEMICOLON = "[=+\\-@\t\r\uff1d\uff0b\uff0d\uff20]"


def escape_text(s: pd.Series) -> pd.Series:
    """Neutralise spreadsheet formulas in a text column (values stay readable)."""
    txt = s.astype(object)
    mask = txt.notna().to_numpy()
    if not mask.any():
        return txt
    vals = txt[mask].astype(str)
    split = vals.str.contains(";" + _AFTER_SEMICOLON, regex=True)
    if split.any():
        vals = vals.where(~split, vals.str.replace("(;)(?=" + _AFTER_SEMICOLON + ")", ";'", regex=True))
    bad = vals.str.startswith(_FORMULA_START)
    out = txt.copy()
    changed = (bad | split).to_numpy()
    quoted = vals.where(~bad, "'" + vals)  # a cell that starts a formula gets a leading quote
    out.loc[vals.index[changed]] = quoted[changed].to_numpy(dtype=object)
    return out


def format_table(df: pd.DataFrame, spec: tuple[schema.Column, ...]) -> pd.DataFrame:
    """A copy of ``df`` with every cell in its exported text/number form."""
    out = {}
    for c in spec:
        s = df[c.name]
        if c.dtype == schema.UTC_NS:
            out[c.name] = s.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif c.dtype in ("str", "category"):
            out[c.name] = escape_text(s)
        elif c.dtype.startswith("float"):
            out[c.name] = s.round(6 if c.name in _COORD else 4 if c.name == "score" else 3)
        else:
            out[c.name] = s
    return pd.DataFrame(out)


def write_csv(df: pd.DataFrame, spec: tuple[schema.Column, ...], path: Path) -> None:
    format_table(df, spec).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def write_tables(folder: str | Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write ``{name}.csv`` for each table (name in schema.SPECS) into ``folder`` (which exists) with a
    data dictionary of the files written (schema.json, README.md: :func:`write_dictionary`); their paths."""
    folder = Path(folder)
    written = []
    for name, df in tables.items():
        p = folder / f"{name}.csv"
        write_csv(df, schema.SPECS[name], p)
        written.append(p)
    return written + write_dictionary(folder, list(tables))


def commit(results: ResultsFolder, summary: dict) -> list[Path]:
    """Finish the run in ``results``: write summary.json last (with the SHA-256 of every file written) and
    swap the staging folder in as ``--out`` (:meth:`ResultsFolder.commit`); the paths in ``--out``."""
    return results.commit(summary, default=_json_default)


def write_outputs(out_dir: str | Path, tables: dict[str, pd.DataFrame], summary: dict) -> list[Path]:
    """Make ``out_dir`` a results folder holding ``{name}.csv`` for each table (name in schema.SPECS), the
    data dictionary (schema.json, README.md) and summary.json, replacing what was there as a whole
    (:class:`~vesseltrack.outdir.ResultsFolder`: InputError if it holds files vesseltrack did not write).
    To add a map or other files to the same run, use ResultsFolder, :func:`write_tables` and :func:`commit`."""
    results = ResultsFolder(out_dir)
    with results as stage:
        write_tables(stage, tables)
        return commit(results, summary)


#: What each results file holds, for the data dictionary (columns: schema.SPECS).
FILE_DESCRIPTIONS = {
    "positions": "one row per AIS position report kept, after ingest and cleaning",
    "rejects": "one row per input row not used, with the reason (codes: schema.REJECT_REASONS)",
    "events": "one row per detected event (gap, port visit, encounter, loitering, spoofing, identity clash, "
              "feed artefact); type-specific columns are empty where they do not apply",
    "voyages": "one row per voyage (port to port, or data edge), with the model features, score and reasons",
    "alerts": "the voyages and events to look at first, most anomalous first",
    "stop_areas": "berths, anchorages and marinas learnt from where vessels lay still (--stop-areas reads it back)",
    "vessels": "one row per track: what AIS static data says about the ship, for cargo estimates",
    "cargo": "one row per cargo operation: a draught change across a port visit, STS encounter or gap, "
             "or a capacity bound",
    "flows": "cargo trips summed per month, route and basis",
    "watchlist": "one row per listed vessel read from the sanctions lists given",
    "watchlist_matches": "one row per vessel seen x list entry it matched",
}
_CSV_FORMAT = ("Times are ISO 8601 UTC to the second (`2024-03-05T14:00:00Z`); coordinates have 6 decimals, "
               "scores 4, other figures 3; an empty cell is a missing value; text cells starting with "
               "`= + - @` are prefixed with `'` (CSV injection).")


def dictionary(names: list[str]) -> dict:
    """The data dictionary of the tables ``names`` (keys of schema.SPECS): per file, what it holds and,
    per column, its dtype, unit, meaning, nullability and range (None when unbounded)."""
    return {
        "format": "vesseltrack-data-dictionary/1",
        "csv": _CSV_FORMAT,
        "files": {
            f"{name}.csv": {
                "description": FILE_DESCRIPTIONS.get(name, ""),
                "columns": [
                    {"name": c.name, "dtype": c.dtype, "unit": c.unit, "description": c.description,
                     "nullable": c.nullable, "min": c.min, "max": c.max}
                    for c in schema.SPECS[name]
                ],
            }
            for name in names
        },
    }


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def dictionary_markdown(doc: dict) -> str:
    """README.md text of a :func:`dictionary`: a section per file, a table of its columns."""
    lines = ["# Data dictionary", "", "Generated by vesseltrack from `schema.py`; `schema.json` holds the same, "
             "machine-readable. " + doc["csv"], ""]
    for fname, f in doc["files"].items():
        lines += [f"## {fname}", "", f["description"], "",
                  "| column | type | unit | meaning | may be empty | range |", "|---|---|---|---|---|---|"]
        for c in f["columns"]:
            rng = _range(c["min"], c["max"])
            lines.append(f"| `{c['name']}` | {c['dtype']} | {_md_cell(c['unit'])} | {_md_cell(c['description'])} | "
                         f"{'yes' if c['nullable'] else 'no'} | {rng} |")
        lines.append("")
    lines += ["## summary.json", "", "Counts, parameters and figures of the run (not a table). Written last: "
              "`outputs.sha256` lists every other file of the folder with its SHA-256 hash, so a folder whose "
              "files all match it is a finished run (`vesseltrack.outdir.verify`).", ""]
    return "\n".join(lines)


def _range(lo: float | None, hi: float | None) -> str:
    """'0 .. 90', '>= 0', '<= 5' or '' (unbounded)."""
    if lo is None and hi is None:
        return ""
    if hi is None:
        return f">= {lo:g}"
    return f"<= {hi:g}" if lo is None else f"{lo:g} .. {hi:g}"


def write_dictionary(folder: Path, names: list[str]) -> list[Path]:
    """Write schema.json and README.md documenting the tables ``names`` into ``folder``; their paths."""
    doc = dictionary(names)
    p_json, p_md = folder / "schema.json", folder / "README.md"
    p_json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    p_md.write_text(dictionary_markdown(doc), encoding="utf-8")
    return [p_json, p_md]


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (pd.Timestamp,)):
        return o.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"summary value of type {type(o).__name__} is not JSON-serialisable")
