"""Static data: decode types 5, 24 A/B and 19 (tables in fields.py) and merge them onto positions.

Each position gets, field group by field group, the latest value reported by its MMSI at or before
its time (type 5: all fields; type 24 A: name; type 24 B: call sign, type, dimensions; type 19:
name, type, dimensions); a report with the very same time counts as before the position only if it
comes earlier in the file, so two ships sharing an MMSI in the same second each keep their own
name. When the MMSI reported nothing before the position, the first later report in the same chunk
is used. The latest values per MMSI are carried across chunks. Empty texts become <NA>.
length_m = to_bow + to_stern, width_m = to_port + to_starboard, draught_m = raw / 10.

Static rows are dicts of arrays: ``mmsi``, ``_t`` (time, int64 ns), ``_line`` (file line),
``_kind`` (5, 240 = 24 A, 241 = 24 B, 19; -1: a type 24 part we do not use; 1000 + group: a row
carried from an earlier chunk, serving that group only) and the STATIC_FIELDS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.ingest.nmea.fields import (
    PART_NUMBER,
    STATIC_24A,
    STATIC_24B,
    STATIC_B19,
    STATIC_VOYAGE,
    read_field,
)

# field groups: the fields a report sets together, and the kinds of report that carry them
GROUPS = {
    "name": (("vessel_name",), (5, 240, 19)),
    "call": (("call_sign",), (5, 241)),
    "ship": (("vessel_type", "length_m", "width_m"), (5, 241, 19)),
    "voyage": (("imo", "draught_m", "destination"), (5,)),
}
STATIC_FIELDS = ("vessel_name", "call_sign", "vessel_type", "length_m", "width_m", "imo", "draught_m", "destination")
TEXT_FIELDS = ("vessel_name", "call_sign", "destination")
INT_FIELDS = {"imo": np.int32, "vessel_type": np.int16}
_KEYS = ("mmsi", "_t", "_line", "_kind", *STATIC_FIELDS)
_CARRIED = 1000  # _kind of a carried row: 1000 + its group


def _read(sixbit: np.ndarray, table) -> dict:
    """The fields of ``table``: texts as str, numbers as float64; dimensions summed to length and width."""
    out = {}
    for f in table:
        if f.column == "mmsi":
            continue
        value = read_field(sixbit, f)
        out[f.column] = value if f.text or f.scale != 1.0 else value.astype(np.float64)
    if "to_bow" in out:
        out["length_m"] = out.pop("to_bow") + out.pop("to_stern")
        out["width_m"] = out.pop("to_port") + out.pop("to_starboard")
    return out


def _type24(sixbit: np.ndarray, mmsi: np.ndarray) -> dict:
    """Type 24: part A (0) the name; part B (1) type, call sign, dimensions; other parts unused."""
    part = read_field(sixbit, PART_NUMBER)
    a, b = _read(sixbit, STATIC_24A), _read(sixbit, STATIC_24B)
    is_a, is_b = part == 0, part == 1
    aux = (mmsi // 10_000_000) == 98  # auxiliary craft: the dimension bits hold the mother ship's MMSI
    return {
        "_kind": np.where(is_a, 240, np.where(is_b, 241, -1)),
        "call_sign": np.where(is_b, b["call_sign"], None),
        "vessel_name": np.where(is_a, a["vessel_name"], None),
        "vessel_type": np.where(is_b, b["vessel_type"], np.nan),
        "length_m": np.where(is_b & ~aux, b["length_m"], np.nan),
        "width_m": np.where(is_b & ~aux, b["width_m"], np.nan),
    }


def decode_static(layout: str, sixbit: np.ndarray, mmsi: np.ndarray, time_ns: np.ndarray, line: np.ndarray) -> dict:
    """Static rows of messages of one layout (``type5``, ``type19``, ``type24``)."""
    n = len(mmsi)
    if layout == "type5":
        values = {"_kind": np.full(n, 5), **_read(sixbit, STATIC_VOYAGE)}
    elif layout == "type19":
        values = {"_kind": np.full(n, 19), **_read(sixbit, STATIC_B19)}
    else:
        values = _type24(sixbit, mmsi)
    row = {"mmsi": mmsi, "_t": time_ns, "_line": line, "_kind": values["_kind"]}
    for f in STATIC_FIELDS:
        if f in values:
            row[f] = values[f]
        else:  # not in this layout
            row[f] = np.full(n, None, dtype=object) if f in TEXT_FIELDS else np.full(n, np.nan)
    return row


def static_table(parts: list[dict], carried: dict | None) -> dict | None:
    """All static rows of the chunk (after those carried from earlier chunks) as arrays."""
    pieces = ([carried] if carried is not None else []) + [p for p in parts if len(p["mmsi"])]
    if not pieces:
        return None
    out = {}
    for k in _KEYS:
        dtype = object if k in TEXT_FIELDS else (np.float64 if k in STATIC_FIELDS else np.int64)
        out[k] = np.concatenate([np.asarray(pc[k], dtype=dtype) for pc in pieces])
    for f in TEXT_FIELDS:
        v = out[f]
        v[v == ""] = None
    return out


def latest_statics(d: dict | None) -> dict | None:
    """The latest row per MMSI and field group (what later chunks need)."""
    if d is None or len(d["mmsi"]) == 0:
        return None
    picks, groups = [], []
    for gi, (_fields, kinds) in enumerate(GROUPS.values()):
        rows = np.flatnonzero(np.isin(d["_kind"], (*kinds, _CARRIED + gi)))
        if len(rows) == 0:
            continue
        r = rows[np.lexsort((d["_line"][rows], d["_t"][rows], d["mmsi"][rows]))]
        m = d["mmsi"][r]
        last = r[np.append(m[1:] != m[:-1], True)]
        picks.append(last)
        groups.append(np.full(len(last), gi))
    take = np.concatenate(picks)
    group = np.concatenate(groups)
    out = {k: v[take] for k, v in d.items()}
    for gi, (fields, _) in enumerate(GROUPS.values()):
        other = group == gi
        for f in STATIC_FIELDS:
            if f not in fields:
                out[f][other] = None if f in TEXT_FIELDS else np.nan
    out["_kind"] = _CARRIED + group  # a carried row serves exactly its group
    return out


def _asof(p_key, p_r, p_line, s_key, s_r, s_order) -> np.ndarray:
    """Index into the static rows of, per position, the latest static row of the same MMSI at or
    before its time, else the first after; -1 when the MMSI has none.

    Keys are ``mmsi_rank * K + time_rank`` (ranks over the static rows, so they never overflow);
    static rows with the same key as the position count as before it only when their ``s_order``
    (file line; -1 for rows carried from earlier chunks) is at most the position's ``p_line`` (its
    line when a static row has its very time, else the largest int64).
    """
    n = len(p_key)
    if len(s_key) == 0 or n == 0:
        return np.full(n, -1, dtype=np.int64)
    order = np.lexsort((s_order, s_key))
    key_sorted = s_key[order]
    rank_sorted = s_r[order]
    j = np.searchsorted(key_sorted, p_key, side="right") - 1  # last static row at or before each position
    tie = np.flatnonzero((j >= 0) & (key_sorted[np.maximum(j, 0)] == p_key))
    if len(tie):  # same MMSI and second: step back over the rows later in the file (runs are short)
        order_sorted = s_order[order]
        lo = np.searchsorted(key_sorted, p_key[tie], side="left")
        j_tie = j[tie]
        active = np.arange(len(tie))
        while len(active):
            active = active[order_sorted[j_tie[active]] > p_line[tie[active]]]
            j_tie[active] -= 1
            active = active[j_tie[active] >= lo[active]]
        j[tie] = j_tie
    last = len(key_sorted) - 1
    back = (j >= 0) & (rank_sorted[np.maximum(j, 0)] == p_r)
    fwd = ~back & (j + 1 <= last) & (rank_sorted[np.minimum(j + 1, last)] == p_r)
    res = np.where(back, j, np.where(fwd, j + 1, -1))
    return np.where(res >= 0, order[np.clip(res, 0, last)], -1)


def _group_values(f: str, values: np.ndarray, n: int, known, hit, src_rows):
    """Field ``f`` for all ``n`` positions from the static rows ``src_rows`` of the ``known``
    positions (those whose MMSI reported static data) that ``hit`` one."""
    if f in TEXT_FIELDS:
        codes, uniq = pd.factorize(values, use_na_sentinel=True)
        c = np.full(n, -1, dtype=np.int32)
        c[known] = np.where(hit, codes[src_rows], -1)
        return pd.Categorical.from_codes(c, categories=pd.Index(uniq, dtype=object))
    if f in INT_FIELDS:
        ok = hit & ~np.isnan(values[src_rows])
        out = np.zeros(n, dtype=INT_FIELDS[f])
        mask = np.ones(n, dtype=bool)
        out[known] = np.where(ok, values[src_rows], 0)
        mask[known] = ~ok
        return pd.arrays.IntegerArray(out, mask)
    out = np.full(n, np.nan)
    out[known] = np.where(hit, values[src_rows], np.nan)
    return out


def merge(cols: dict, statics: dict | None) -> dict:
    """Per static field, its value for every position (only the fields some row sets)."""
    n = len(cols["mmsi"])
    found: dict[str, object] = {}
    if statics is None or len(statics["mmsi"]) == 0:
        return found
    kinds, s_mmsi, s_t = statics["_kind"], statics["mmsi"], statics["_t"]
    s_order = np.where(kinds >= _CARRIED, -1, statics["_line"])
    mmsis, times = np.unique(s_mmsi), np.unique(s_t)
    k = len(times) + 1
    s_r = np.searchsorted(mmsis, s_mmsi)
    s_key = s_r * k + np.searchsorted(times, s_t, side="right")
    p_r_all = pd.Index(mmsis).get_indexer(cols["mmsi"].astype(np.int64))
    known = np.flatnonzero(p_r_all >= 0)  # positions of MMSIs that reported static data
    p_r = p_r_all[known]
    p_t = cols["_t"][known]
    p_tr = np.searchsorted(times, p_t, side="right")
    p_key = p_r * k + p_tr
    # a static row with the position's very time counts as before it only if earlier in the file
    same_second = times[np.maximum(p_tr - 1, 0)] == p_t
    p_line = np.where(same_second, cols["source_row"][known], np.iinfo(np.int64).max)
    for gi, (fields, gkinds) in enumerate(GROUPS.values()):
        rows = np.flatnonzero(np.isin(kinds, (*gkinds, _CARRIED + gi)))
        if len(rows) == 0:
            continue
        jk = _asof(p_key, p_r, p_line, s_key[rows], s_r[rows], s_order[rows])
        hit = jk >= 0
        src_rows = rows[np.maximum(jk, 0)]
        for f in fields:
            found[f] = _group_values(f, statics[f], n, known, hit, src_rows)
    return found
