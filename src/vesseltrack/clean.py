"""Cleaning: AIS "not available" sentinels -> NaN, range checks -> rejects, exact duplicates.

:func:`clean` turns a reader's chunk (canonical column names + ``source_row``) into positions that
match ``schema.POSITIONS`` exactly and rejects that match ``schema.REJECTS``. Everything is boolean
masks over numpy arrays; no Python work per row.

Rejected rows get ONE reason each, the first that applies in this order:
``missing_mmsi``, ``non_vessel`` (aids to navigation, base stations, SART/MOB/EPIRB, SAR aircraft:
see :data:`NON_VESSEL_MMSI`; ingest.load counts these apart from the rejects), ``invalid_mmsi``,
``bad_timestamp``, ``missing_position``, ``lat_out_of_range``,
``lon_out_of_range``.

Optional values outside their AIS range become NaN / <NA> (the row is kept):
SOG >= 102.3 or < 0; COG >= 360 (negative COG, as MarineCadastre writes it, is taken mod 360);
heading >= 360 (511) or < 0; nav_status 15 or outside 0..14; draught <= 0 or > 25.5; IMO <= 0 or
> 9,999,999; vessel_type 0 or outside 1..99; length / width <= 0 or above the AIS maximum.
Text (names, call signs, destinations, class) is stripped of whitespace and '@' padding; '',
'None' and 'null' are missing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.tracks import ts_ns, utc_from_ns

MMSI_MIN_STRICT = 100_000_000
MMSI_MAX = 999_999_999  # schema.POSITIONS mmsi maximum (int32 holds it)

#: Stations that are not ships (ITU-R M.585 MMSI formats), by kind: (kind, lowest, highest MMSI).
#: Base / coast stations are 00MIDxxxx, which a CSV stores as a 7-digit number (its leading zeros
#: stripped, as numbers always are). Their rows are set aside as ``non_vessel`` (own accounting,
#: not rejects) when MMSIs are checked strictly. Craft of a parent ship (98MIDxxxx) are vessels.
NON_VESSEL_MMSI: tuple[tuple[str, int, int], ...] = (
    ("base_station", 2_010_000, 7_759_999),
    ("sar_aircraft", 111_000_000, 111_999_999),
    ("sart_mob_epirb", 970_000_000, 979_999_999),
    ("aid_to_navigation", 990_000_000, 999_999_999),
)
_NULL_TEXT = ("", "none", "null", "nan", "na", "n/a")
_CLASS = {"class a": "A", "class b": "B", "a": "A", "b": "B"}

#: (column, lowest valid, highest valid, lowest inclusive, highest inclusive) for float32 columns.
_FLOAT_RANGES = {
    "sog_kn": (0.0, 102.3, True, False),
    "cog_deg": (0.0, 360.0, True, False),
    "heading_deg": (0.0, 360.0, True, False),
    "draught_m": (0.0, 25.5, False, True),
    "length_m": (0.0, 1023.0, False, True),
    "width_m": (0.0, 255.0, False, True),
}
#: nullable integer columns: (lowest valid, highest valid)
_INT_RANGES = {"nav_status": (0, 14), "imo": (1, 9_999_999), "vessel_type": (1, 99)}
_DTYPES = {c.name: c.dtype for c in schema.POSITIONS}


def _float(s: pd.Series, keep_float32: bool = False) -> np.ndarray:
    """Any column -> float64 numpy (NaN for missing / unparseable); float32 kept when asked."""
    if keep_float32 and s.dtype == np.float32:
        return s.to_numpy()
    if isinstance(s.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(s.dtype) or s.dtype == bool:
        s = pd.to_numeric(s.astype(object) if isinstance(s.dtype, pd.CategoricalDtype) else s, errors="coerce")
    return s.to_numpy(dtype=np.float64, na_value=np.nan)


def _timestamps(s: pd.Series) -> pd.Series:
    """Any column -> datetime64[ns, UTC] (naive taken as UTC; unparseable -> NaT)."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        out = s.dt.tz_convert("UTC") if str(s.dtype.tz) != "UTC" else s
    elif pd.api.types.is_datetime64_dtype(s.dtype):
        out = s.dt.tz_localize("UTC")
    else:
        out = pd.to_datetime(s, utc=True, errors="coerce", format="ISO8601")
    return schema.to_utc_ns(out)


def _text(s: pd.Series, mapping: dict[str, str] | None = None) -> pd.Categorical:
    """Any text column -> Categorical with stripped, non-empty categories (work on categories only)."""
    cat = s.array if isinstance(s.dtype, pd.CategoricalDtype) else pd.Categorical(s.astype(object))
    cats = pd.Series(np.asarray(cat.categories, dtype=object)).astype("str")
    stripped = cats.str.strip(" \t\r\n@")
    low = stripped.str.lower()
    if mapping:
        stripped = low.map(mapping).where(low.isin(list(mapping)), stripped)
    stripped = stripped.where(~low.isin(_NULL_TEXT), None)
    codes = np.asarray(cat.codes, dtype=np.int64)
    if stripped.equals(cats) and stripped.notna().all():
        if cat.categories.dtype == "str":
            return cat
        return pd.Categorical.from_codes(codes, categories=pd.Index(stripped, dtype="str"))
    new_codes, uniq = pd.factorize(stripped, use_na_sentinel=True)
    out = np.where(codes >= 0, new_codes[np.maximum(codes, 0)] if len(new_codes) else -1, -1)
    return pd.Categorical.from_codes(out, categories=pd.Index(np.asarray(uniq, dtype=object), dtype="str"))


def _fmt(v: np.ndarray) -> np.ndarray:
    """Numbers as text for reject details: integers without '.0', NaN as 'missing'."""
    out = v.astype(str)
    fin = np.isfinite(v)
    integral = fin & (np.abs(v) < 2**62) & (v == np.floor(np.where(fin, v, 0)))
    if integral.any():
        out = out.astype(object)
        out[integral] = v[integral].astype(np.int64).astype(str)
    out = np.where(np.isnan(v), "missing", out)
    return out.astype(object)


def non_vessel_kind(mmsi: np.ndarray) -> np.ndarray:
    """Index into :data:`NON_VESSEL_MMSI` of each MMSI's station kind, -1 for ships and unknowns."""
    out = np.full(len(mmsi), -1, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        integral = mmsi == np.floor(mmsi)
        for i, (_, lo, hi) in enumerate(NON_VESSEL_MMSI):
            out[integral & (mmsi >= lo) & (mmsi <= hi)] = i
    return out


def _detail(prefix: str, values) -> np.ndarray:
    return np.char.add(prefix, np.asarray(values, dtype=str)).astype(object)


def clean(frame: pd.DataFrame, *, file: str, strict_mmsi: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (positions, rejects) for one chunk; ``frame`` is not modified.

    ``frame`` holds canonical column names (mmsi, timestamp, lat and lon at least), optionally
    ``source_row`` (1-based; defaults to 1..n) and ``timestamp_raw`` (text of unparseable times).
    ``strict_mmsi`` requires 9-digit MMSIs; without it any positive integer id up to 999,999,999
    is kept (anonymised data). Positions keep the input order.
    """
    return clean_chunk(frame, file=file, strict_mmsi=strict_mmsi)


def _valid_float(frame: pd.DataFrame, name: str, n: int) -> np.ndarray:
    """Column ``name`` (a :data:`_FLOAT_RANGES` one) as float32 in input order, NaN outside its AIS range
    (negative COG taken mod 360 first), all NaN when the frame has no such column."""
    if name not in frame:
        return np.full(n, np.nan, dtype=np.float32)
    lo_v, hi_v, lo_inc, hi_inc = _FLOAT_RANGES[name]
    v = _float(frame[name], keep_float32=True)
    if name == "cog_deg":
        with np.errstate(invalid="ignore"):
            neg = v < 0
        if neg.any():
            v = np.where(neg, np.mod(v, 360.0), v)
    v = v.astype(np.float32, copy=False)
    lo32, hi32 = np.float32(lo_v), np.float32(hi_v)
    with np.errstate(invalid="ignore"):
        ok = (v >= lo32 if lo_inc else v > lo32) & (v <= hi32 if hi_inc else v < hi32)
    return v if ok.all() else np.where(ok, v, np.float32(np.nan))


def _valid_int(frame: pd.DataFrame, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, missing mask) of column ``name`` (an :data:`_INT_RANGES` one) in input order: missing
    outside its AIS range or not a whole number, or when the frame has no such column."""
    dtype = _DTYPES[name].lower()
    if name not in frame:
        return np.zeros(n, dtype=dtype), np.ones(n, dtype=bool)
    lo_v, hi_v = _INT_RANGES[name]
    v = _float(frame[name])
    with np.errstate(invalid="ignore"):
        ok = (v >= lo_v) & (v <= hi_v) & (v == np.floor(v))
    return np.where(ok, v, 0).astype(dtype), ~ok


def _rejects(frame: pd.DataFrame, file: str, rows: np.ndarray, rejected: np.ndarray, conds: list[np.ndarray],
             mmsi: np.ndarray, mmsi_text: np.ndarray | None, station: np.ndarray, lat: np.ndarray,
             lon: np.ndarray) -> pd.DataFrame:
    """schema.REJECTS rows of the ``rejected`` rows: the first of ``conds`` that holds names the reason,
    the offending values the detail."""
    reason = np.select(conds, list(range(len(conds))), default=-1)[rejected]
    codes = np.array(["missing_mmsi", "non_vessel", "invalid_mmsi", "bad_timestamp", "missing_position",
                      "lat_out_of_range", "lon_out_of_range"], dtype=object)
    detail = np.empty(int(rejected.sum()), dtype=object)
    mm_txt = _fmt(mmsi[rejected]) if mmsi_text is None else mmsi_text[rejected]
    sel = reason <= 2
    detail[sel] = _detail("mmsi=", np.where(reason[sel] == 0, "missing", mm_txt[sel]))
    sel = reason == 1
    if sel.any():
        kinds = np.array([k for k, _, _ in NON_VESSEL_MMSI], dtype=object)[station[rejected][sel]]
        detail[sel] = np.char.add(detail[sel].astype(str), _detail(" kind=", kinds).astype(str)).astype(object)
    sel = reason == 3
    if sel.any():
        if "timestamp_raw" in frame:
            raw_t = frame["timestamp_raw"].to_numpy(dtype=object, na_value=None)[rejected][sel]  # type: ignore[call-overload]
            raw_t = np.where(pd.isna(raw_t), "missing", raw_t)
        else:
            raw_t = np.full(int(sel.sum()), "missing or unparseable", dtype=object)
        detail[sel] = _detail("timestamp=", raw_t)
    lat_txt, lon_txt = _fmt(lat[rejected]), _fmt(lon[rejected])
    sel = reason == 4
    detail[sel] = np.char.add(_detail("lat=", lat_txt[sel]).astype(str),
                              _detail(" lon=", lon_txt[sel]).astype(str)).astype(object)
    sel = reason == 5
    detail[sel] = _detail("lat=", lat_txt[sel])
    sel = reason == 6
    detail[sel] = _detail("lon=", lon_txt[sel])
    return pd.DataFrame({
        "file": pd.Series(np.full(len(reason), file, dtype=object), dtype="str"),
        "row": rows[rejected],
        "reason": pd.Series(codes[reason], dtype="str"),
        "detail": pd.Series(detail, dtype="str"),
    })


def clean_chunk(
    frame: pd.DataFrame, *, file: str, strict_mmsi: bool = True, sort=None, gather=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`clean`, plus ``sort``: a function (mmsi int32, timestamp int64 ns) -> stable order
    or None; when given, the kept positions come out in that order (filter and sort cost one
    gather per column instead of two). Used by ingest.load.

    ``gather``: a function (column, part, values, rows) -> ``values[rows]`` (``values`` itself, or
    a copy, when rows is None) through which every numeric column passes (part "values", and
    "mask" for nullable integers; timestamps as int64 ns), so that the caller can write kept rows
    straight into its own buffers. ``values`` are already validated, in input order.
    """
    n = len(frame)
    rows = (frame["source_row"].to_numpy(dtype=np.int64) if "source_row" in frame
            else np.arange(1, n + 1, dtype=np.int64))

    # --- mmsi ---
    mmsi, missing_mmsi, mmsi_text = _mmsi_values(frame["mmsi"])
    lo = MMSI_MIN_STRICT if strict_mmsi else 1
    with np.errstate(invalid="ignore"):
        good_mmsi = (mmsi >= lo) & (mmsi <= MMSI_MAX) & (mmsi == np.floor(mmsi))
    station = non_vessel_kind(mmsi) if strict_mmsi else np.full(n, -1, dtype=np.int8)
    non_vessel = ~missing_mmsi & (station >= 0)
    invalid_mmsi = ~missing_mmsi & ~good_mmsi & ~non_vessel

    # --- time and position ---
    ts = _timestamps(frame["timestamp"])
    bad_ts = ts.isna().to_numpy()
    lat = _float(frame["lat"])
    lon = _float(frame["lon"])
    missing_pos = np.isnan(lat) | np.isnan(lon) | (lat == 91.0) | (lon == 181.0)
    with np.errstate(invalid="ignore"):
        lat_bad = ~((lat >= -90.0) & (lat <= 90.0))
        lon_bad = ~((lon >= -180.0) & (lon <= 180.0))

    conds = [missing_mmsi, non_vessel, invalid_mmsi, bad_ts, missing_pos, lat_bad, lon_bad]
    rejected = np.logical_or.reduce(conds) if n else np.zeros(0, bool)
    keep = ~rejected

    # --- rejects ---
    rejects = (_rejects(frame, file, rows, rejected, conds, mmsi, mmsi_text, station, lat, lon) if rejected.any()
               else schema.empty(schema.REJECTS))

    sel = _kept_order(keep, mmsi, ts, sort)
    return _kept_positions(frame, n, sel, mmsi, ts, lat, lon, gather), rejects


def _mmsi_values(raw_mmsi: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(MMSI as float64, NaN when missing or not a number; missing mask; the stripped text of a text
    column for reject details, else None)."""
    if pd.api.types.is_numeric_dtype(raw_mmsi.dtype) and not isinstance(raw_mmsi.dtype, pd.CategoricalDtype):
        mmsi = raw_mmsi.to_numpy(dtype=np.float64, na_value=np.nan)
        return mmsi, np.isnan(mmsi), None
    txt = raw_mmsi.astype("str")
    stripped = txt.str.strip()
    missing_mmsi = (txt.isna() | (stripped == "") | stripped.str.lower().isin(_NULL_TEXT)).to_numpy(bool)
    mmsi = pd.to_numeric(stripped.where(~missing_mmsi), errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return mmsi, missing_mmsi, stripped.to_numpy(dtype=object, na_value="")


def _kept_order(keep: np.ndarray, mmsi: np.ndarray, ts: pd.Series, sort) -> np.ndarray | None:
    """Rows to keep, in the order wanted (None: all, as they are): one gather per column then does
    filter and (optional) sort."""
    sel = None if keep.all() else np.flatnonzero(keep)
    if sort is not None:
        mm_k = mmsi if sel is None else mmsi[sel]
        ts_k = ts.array.asi8 if sel is None else ts.array.asi8[sel]
        order = sort(mm_k.astype(np.int32), ts_k)
        if order is not None:
            sel = order if sel is None else sel[order]
    return sel


def _kept_positions(frame: pd.DataFrame, n: int, sel: np.ndarray | None, mmsi: np.ndarray, ts: pd.Series,
                    lat: np.ndarray, lon: np.ndarray, gather) -> pd.DataFrame:
    """schema.POSITIONS table of rows ``sel`` (see :func:`_kept_order`), every column validated (and
    narrowed) in input order, then gathered (through ``gather`` when given): fewer bytes move."""
    all_kept = sel is None

    def take(name, a, part="values"):
        if gather is not None:
            return gather(name, part, a, sel)
        return a if all_kept else a.take(sel)

    with np.errstate(invalid="ignore"):
        mmsi32 = mmsi.astype(np.int32)  # (rejected rows may hold NaN; they are not gathered)
    stamps = take("timestamp", ts.array.as_unit("ns").asi8)
    out: dict[str, Any] = {
        "mmsi": take("mmsi", mmsi32),
        "timestamp": utc_from_ns(stamps),
        "lat": take("lat", lat),
        "lon": take("lon", lon),
    }
    for name in _FLOAT_RANGES:
        out[name] = take(name, _valid_float(frame, name, n))
    for name in _INT_RANGES:
        vals, missing = _valid_int(frame, name, n)
        out[name] = pd.arrays.IntegerArray(take(name, vals), take(name, missing, "mask"))
    n_out = len(out["lat"])
    for name in ("vessel_name", "call_sign", "destination", "ais_class"):
        if name not in frame:
            out[name] = pd.Categorical.from_codes(np.full(n_out, -1, dtype=np.int8),
                                                  categories=pd.Index([], dtype="str"))
            continue
        cat = _text(frame[name], _CLASS if name == "ais_class" else None)
        out[name] = cat if all_kept else cat.take(sel)  # type: ignore[arg-type]  # sel is set when not all_kept
    return pd.DataFrame({c: out[c] for c in schema.names(schema.POSITIONS)}, copy=False)


def duplicate_rows(sorted_positions: pd.DataFrame) -> np.ndarray:
    """Indices (positions) of exact duplicates, after their first occurrence, in a sorted table.

    Only rows whose (mmsi, timestamp) equals a neighbour's are compared column by column, so a
    large table with few duplicates costs O(n).
    """
    n = len(sorted_positions)
    if n < 2:
        return np.empty(0, dtype=np.int64)
    mm = sorted_positions["mmsi"].to_numpy()
    ts = ts_ns(sorted_positions["timestamp"])
    same = (mm[1:] == mm[:-1]) & (ts[1:] == ts[:-1])
    if not same.any():
        return np.empty(0, dtype=np.int64)
    cand = np.zeros(n, dtype=bool)
    cand[1:] |= same
    cand[:-1] |= same
    idx = np.flatnonzero(cand)
    sub = sorted_positions.iloc[idx]
    dup = sub.duplicated(keep="first").to_numpy()
    return idx[dup]


def drop_duplicates(sorted_positions: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Remove exact duplicate rows (all POSITIONS columns equal) from a (mmsi, timestamp)-sorted
    table, keeping the first; returns (table with a fresh RangeIndex, number removed)."""
    drop = duplicate_rows(sorted_positions)
    if not len(drop):
        if isinstance(sorted_positions.index, pd.RangeIndex) and sorted_positions.index.start == 0:
            return sorted_positions, 0
        return sorted_positions.reset_index(drop=True), 0
    keep = np.ones(len(sorted_positions), dtype=bool)
    keep[drop] = False
    return sorted_positions[keep].reset_index(drop=True), len(drop)
