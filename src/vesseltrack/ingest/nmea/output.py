"""The chunk's outputs: the canonical frame, the rejects table, the skip counts and the fragments
carried into the next chunk."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack.ingest.base import Chunk
from vesseltrack.ingest.nmea import static
from vesseltrack.ingest.nmea.batch import (
    OUTCOME_POSITION,
    R_CHECKSUM,
    REASONS,
    S_FRAGMENT,
    S_MSG_TYPE,
    S_STATIC,
    Batch,
    ReaderState,
)
from vesseltrack.ingest.nmea.bits import HEX_STR, text_at

_EMPTY_FRAME_DTYPES = {
    "mmsi": "int32", "timestamp": "datetime64[ns, UTC]", "lat": "float64", "lon": "float64", "sog_kn": "float32",
    "cog_deg": "float32", "heading_deg": "float32", "nav_status": "Int8", "draught_m": "float32", "imo": "Int32",
    "vessel_name": "category", "call_sign": "category", "vessel_type": "Int16", "destination": "category",
    "length_m": "float32", "width_m": "float32", "ais_class": "category", "source_row": "int64",
}

_NP_INT: dict[str, type[np.signedinteger]] = {"Int8": np.int8, "Int16": np.int16, "Int32": np.int32}


def _masked(values: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    v = np.asarray(values, dtype=np.float64)
    mask = ~np.isfinite(v)
    np_dtype = _NP_INT[dtype]
    info = np.iinfo(np_dtype)
    mask |= (v < info.min) | (v > info.max)
    return pd.arrays.IntegerArray(np.where(mask, 0, v).astype(np_dtype), mask)


def positions_frame(cols: dict, statics: dict | None) -> pd.DataFrame:
    """The canonical frame of the chunk's positions, static data merged on."""
    n = len(cols["mmsi"])
    if n == 0:
        empty = pd.DataFrame({c: pd.Series([], dtype=d) for c, d in _EMPTY_FRAME_DTYPES.items()})
        empty["ais_class"] = pd.Categorical([], categories=pd.Index(["A", "B"], dtype=object))
        return empty
    out = {
        "mmsi": cols["mmsi"],
        "timestamp": pd.DatetimeIndex(cols["_t"].view("datetime64[ns]")).tz_localize("UTC"),
        "lat": cols["lat"],
        "lon": cols["lon"],
        "sog_kn": cols["sog_kn"],
        "cog_deg": cols["cog_deg"],
        "heading_deg": cols["heading_deg"],
        "nav_status": pd.arrays.IntegerArray(cols["nav_status"], cols["nav_status"] < 0),
    }
    merged = static.merge(cols, statics)
    nan = np.full(n, np.nan)
    empty_cat = pd.Categorical.from_codes(np.full(n, -1), categories=pd.Index([], dtype=object))
    out["draught_m"] = np.asarray(merged.get("draught_m", nan), dtype=np.float32)
    out["imo"] = merged["imo"] if "imo" in merged else _masked(nan, "Int32")
    out["vessel_name"] = merged.get("vessel_name", empty_cat)
    out["call_sign"] = merged.get("call_sign", empty_cat)
    out["vessel_type"] = merged["vessel_type"] if "vessel_type" in merged else _masked(nan, "Int16")
    out["destination"] = merged.get("destination", empty_cat)
    out["length_m"] = np.asarray(merged.get("length_m", nan), dtype=np.float32)
    out["width_m"] = np.asarray(merged.get("width_m", nan), dtype=np.float32)
    out["ais_class"] = pd.Categorical.from_codes(cols["ais_class"], categories=pd.Index(["A", "B"], dtype=object))
    out["source_row"] = cols["source_row"].astype(np.int64)
    return pd.DataFrame(out, copy=False)  # the arrays are ours and fresh: no need to copy them


def rejects_frame(path, buf, start, end, line, reason, computed, has_star) -> pd.DataFrame:
    """One row per rejected sentence: file, row (1-based physical line), reason, detail."""
    n = len(start)
    if n == 0:
        return pd.DataFrame(
            {"file": pd.Series([], dtype=object), "row": pd.Series([], dtype="int64"),
             "reason": pd.Series([], dtype=object), "detail": pd.Series([], dtype=object)}
        )
    sentence = text_at(buf, start, end, 100)
    reasons = np.array(REASONS, dtype=object)[reason]
    prefix = np.full(n, "", dtype=object)
    cs = reason == R_CHECKSUM
    prefix[cs & has_star] = "computed checksum " + HEX_STR[computed[cs & has_star] & 255] + ": "
    prefix[cs & ~has_star] = "no checksum: "
    return pd.DataFrame(
        {"file": np.full(n, path, dtype=object), "row": line.astype(np.int64), "reason": reasons,
         "detail": prefix + sentence}
    )


def _carry(b: Batch, st: ReaderState) -> None:
    """Hand the fragments still waiting for their other parts to the next chunk (whole segments,
    tag block included, so they are re-read as they were)."""
    idx = b.carry_idx
    if len(idx):
        seg_start = b.seg_start[b.sent_seg[idx]]
        st.carry = b"".join(bytes(b.data[a:z]) + b"\n" for a, z in zip(seg_start.tolist(), b.end[idx].tolist()))
        st.carry_lines = b.line[idx].copy()
        st.carry_times = b.time_ns[idx].copy()
    else:
        st.carry, st.carry_lines, st.carry_times = b"", np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def _skip_name(kind: int) -> str:
    return {S_STATIC: "static_msg", S_FRAGMENT: "multipart_fragment"}.get(kind, f"msg_type_{kind - S_MSG_TYPE}")


def finish(b: Batch, st: ReaderState, frame: pd.DataFrame) -> Chunk:
    """Carry the waiting fragments; rejects and skip counts of the sentences settled here."""
    _carry(b, st)
    counted = np.ones(len(b.bang), dtype=bool)
    counted[b.carry_idx] = False
    rej = np.flatnonzero((b.reason >= 0) & counted)
    rejects = rejects_frame(
        st.path, b.buf, b.bang[rej], b.end[rej], b.line[rej], b.reason[rej], b.computed[rej], b.has_star[rej]
    )
    kinds = b.skip[(b.reason < 0) & counted & (b.outcome != OUTCOME_POSITION)]
    kinds = kinds[kinds >= 0]
    if len(kinds):
        uniq, counts = np.unique(kinds, return_counts=True)
        for kind, c in zip(uniq.tolist(), counts.tolist()):
            name = _skip_name(kind)
            b.skipped[name] = b.skipped.get(name, 0) + c
    return Chunk(frame=frame, rejects=rejects, rows_read=int(counted.sum()), skipped=b.skipped,
                 time_sources=b.time_sources)
