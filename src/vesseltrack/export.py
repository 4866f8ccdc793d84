"""Writing results: CSV files with a fixed format, summary.json, written atomically.

- Times are ISO 8601 UTC to the second (``2024-03-05T14:00:00Z``); floats are rounded per column
  (coordinates to 6 decimals, ~0.1 m; other figures to 3; scores to 4), so output is byte-stable.
- Text cells that start with ``= + - @`` (or tab / carriage return) are prefixed with ``'``:
  vessel names and destinations are broadcast by anyone, and a spreadsheet would run them as
  formulas (CSV injection).
- Files are written to a temporary folder beside ``out`` and moved in only when all are written,
  so a failure never leaves half-written results.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.errors import InputError

_COORD = {"lat", "lon", "start_lat", "start_lon", "end_lat", "end_lon"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_text(s: pd.Series) -> pd.Series:
    """Neutralise spreadsheet formulas in a text column (values stay readable)."""
    txt = s.astype(object)
    mask = txt.notna().to_numpy()
    if not mask.any():
        return txt
    vals = txt[mask].astype(str)
    bad = vals.str.startswith(_FORMULA_START)
    out = txt.copy()
    out.loc[vals.index[bad.to_numpy()]] = "'" + vals[bad]
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


def write_outputs(out_dir: str | Path, tables: dict[str, pd.DataFrame], summary: dict) -> list[Path]:
    """Write ``{name}.csv`` for each table (name in schema.SPECS) plus summary.json into ``out_dir``."""
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(
            f"--out {out}: exists and is not a folder; expected a folder to write results into; choose another path"
        )
    parent = out.parent if str(out.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    except OSError as err:
        raise InputError(
            f"--out {out}: cannot create it ({err.strerror}); expected a writable folder; choose another path"
        ) from err
    try:
        written = []
        for name, df in tables.items():
            p = tmp / f"{name}.csv"
            write_csv(df, schema.SPECS[name], p)
            written.append(p)
        p = tmp / "summary.json"
        p.write_text(json.dumps(summary, indent=2, sort_keys=True, default=_json_default) + "\n", encoding="utf-8")
        written.append(p)
        out.mkdir(parents=True, exist_ok=True)
        final = []
        for p in written:
            os.replace(p, out / p.name)
            final.append(out / p.name)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


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
