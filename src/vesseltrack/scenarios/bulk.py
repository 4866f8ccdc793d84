"""Bulk data for benchmarks: a large positions table, fully vectorised (no anomalies, no truth), and a fast writer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from vesseltrack.errors import ConfigError
from vesseltrack.geo import haversine_m
from vesseltrack.scenarios._shared import _MS_PER_KN
from vesseltrack.scenarios.files import MARINECADASTRE_COLUMNS, to_marinecadastre
from vesseltrack.scenarios.identities import _LETTERS, _NAME_PARTS
from vesseltrack.scenarios.lanes import _DEST, _EDGES, _PORTS, _bearing_deg, _graph


def generate_bulk(n_positions: int, *, seed: int = 0, n_vessels: int | None = None,
                  start: str = "2024-03-01T00:00:00Z") -> pd.DataFrame:
    """A large schema.POSITIONS table, fast and fully vectorised, for benchmarks.

    Vessels shuttle along the open-water sea lanes; rows are time-ordered with vessels interleaved,
    like real exports (not sorted by vessel). No anomalies and no truth: use :func:`generate` for that.
    """
    n = int(n_positions)
    if n < 0:
        raise ConfigError(f"n_positions={n_positions} invalid; expected >= 0")
    rng = np.random.default_rng(seed)
    fleet = _bulk_fleet(rng, _default_vessels(n, n_vessels))
    span_s = max(n / fleet["nv"] * 150.0, 60.0)
    rows = _bulk_rows(rng, fleet, n, start, step_s=span_s / max(n, 1))
    ids = _bulk_identities(rng, fleet)
    return _bulk_frame(fleet, rows, ids)


#: Rows drawn from one random stream in :func:`generate_bulk_chunks` (its output does not depend on chunk_rows).
BULK_BLOCK_ROWS = 1 << 20


def generate_bulk_chunks(n_positions: int, *, seed: int = 0, n_vessels: int | None = None,
                         chunk_rows: int = 2_000_000, start: str = "2024-03-01T00:00:00Z") -> Iterator[pd.DataFrame]:
    """:func:`generate_bulk`'s data, ``n_positions`` rows of it, as consecutive time-ordered tables
    of ``chunk_rows`` rows (the last one shorter), never holding more than a chunk (plus one block of
    :data:`BULK_BLOCK_ROWS`) in memory: for datasets larger than memory (write them with
    ``store.write_frames``).

    One continuous dataset: the same fleet throughout (drawn as :func:`generate_bulk` draws it for
    the same seed and number of vessels), the clock continuing from chunk to chunk, the same mean
    time between reports (span = n / vessels * 150 s). Rows are drawn in fixed blocks of
    :data:`BULK_BLOCK_ROWS`, each from its own random stream (seed, block), so the rows do not
    depend on ``chunk_rows``: concatenated, the chunks are the same table for every ``chunk_rows``.
    They are not :func:`generate_bulk`'s rows (that draws all rows from one stream).
    """
    n = int(n_positions)
    if n < 0:
        raise ConfigError(f"n_positions={n_positions} invalid; expected >= 0")
    if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, (int, np.integer)) or chunk_rows < 1:
        raise ConfigError(f"chunk_rows={chunk_rows!r} is invalid; expected a positive whole number of rows per "
                          f"chunk; pass e.g. chunk_rows=2_000_000")
    rng = np.random.default_rng(seed)
    fleet = _bulk_fleet(rng, _default_vessels(n, n_vessels))
    ids = _bulk_identities(rng, fleet)
    step_s = max(n / fleet["nv"] * 150.0, 60.0) / max(n, 1)
    return _chunks(fleet, ids, n, seed, int(chunk_rows), start, step_s)


def _chunks(fleet: dict, ids: dict, n: int, seed: int, chunk_rows: int, start: str,
            step_s: float) -> Iterator[pd.DataFrame]:
    pending: list[pd.DataFrame] = []
    held = 0
    t0 = 0.0
    for k, a in enumerate(range(0, n, BULK_BLOCK_ROWS)):
        m = min(BULK_BLOCK_ROWS, n - a)
        rows = _bulk_rows(np.random.default_rng([seed, 1, k]), fleet, m, start, step_s=step_s, t0_s=t0)
        t0 = float(rows["t_s"][-1])
        pending.append(_bulk_frame(fleet, rows, ids))
        held += m
        del rows
        while held >= chunk_rows or (held and a + m == n):
            block = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0]
            take = min(chunk_rows, held)
            yield block.iloc[:take].reset_index(drop=True)
            rest = block.iloc[take:].reset_index(drop=True)
            pending, held = ([rest] if len(rest) else []), len(rest)
            del block


def _default_vessels(n: int, n_vessels: int | None) -> int:
    return int(n_vessels) if n_vessels else max(1, min(60_000, n // 2_000))


#: Ships on a sea lane keep their own track within this distance (m) either side of its centre line
#: (traffic lanes are kilometres wide, ocean routes wider): ships on one line would all be within
#: encounter distance of each other as they pass, which real traffic is not.
LANE_HALF_WIDTH_M = 5_000.0


def _bulk_fleet(rng: np.random.Generator, nv: int) -> dict:
    """Per vessel: a sea-lane edge to shuttle along (offset across the lane), kind, speed, type,
    class, size, MMSI, phase."""
    _, index, glat, glon, _ = _graph()
    edges = np.array([[index[a], index[b]] for a, b in _EDGES])
    ve = edges[rng.integers(0, len(edges), nv)]
    a_lat, a_lon, b_lat, b_lon = glat[ve[:, 0]], glon[ve[:, 0]], glat[ve[:, 1]], glon[ve[:, 1]]
    kind = rng.choice(5, size=nv, p=[0.28, 0.34, 0.22, 0.08, 0.08])  # tanker cargo fishing passenger tug
    speed = np.choose(kind, [rng.uniform(10, 14, nv), rng.uniform(12, 18, nv), rng.uniform(2, 9, nv),
                             rng.uniform(16, 22, nv), rng.uniform(6, 10, nv)])
    vtype = np.choose(
        kind, [np.full(nv, 80), np.full(nv, 70), np.full(nv, 30), np.full(nv, 60), np.full(nv, 52)]
    ).astype(np.int16)
    class_b = (kind == 2) & (rng.random(nv) < 0.7)
    length = np.choose(kind, [rng.uniform(90, 250, nv), rng.uniform(90, 230, nv), rng.uniform(18, 75, nv),
                              rng.uniform(120, 190, nv), rng.uniform(22, 38, nv)]).round().astype(np.float32)
    width = (length / rng.uniform(5.5, 7.5, nv)).round().astype(np.float32)
    draught = np.round(2.0 + length * 0.04 * rng.uniform(0.6, 1.0, nv), 1).astype(np.float32)
    mids = np.array([273, 440, 441, 431, 412, 413, 351, 352, 353, 636, 538, 511, 667, 477])
    mmsi = np.unique(mids[rng.integers(0, len(mids), nv * 2)] * 1_000_000 + rng.integers(1, 999_999, nv * 2))
    mmsi = rng.permutation(mmsi)[:nv].astype(np.int32)
    nv = len(mmsi)
    brg = _bearing_deg(a_lat, a_lon, b_lat, b_lon)
    # each ship keeps its own track across the lane: a constant offset from the centre line, drawn
    # from a stream of its own (the draws above and after are those of the fleet without it)
    off = rng.spawn(1)[0].uniform(-LANE_HALF_WIDTH_M, LANE_HALF_WIDTH_M, nv)
    right = np.radians(brg + 90.0)
    mid_lat = np.radians((a_lat + b_lat) / 2)
    off_lat = off * np.cos(right) / 111_195.0
    off_lon = off * np.sin(right) / (111_195.0 * np.maximum(np.cos(mid_lat), 0.05))
    return {"nv": nv, "a_lat": a_lat + off_lat, "a_lon": a_lon + off_lon, "b_lat": b_lat + off_lat,
            "b_lon": b_lon + off_lon, "leg_m": haversine_m(a_lat, a_lon, b_lat, b_lon), "brg_ab": brg,
            "kind": kind, "speed": speed, "vtype": vtype, "class_b": class_b, "length": length, "width": width,
            "draught": draught, "mmsi": mmsi, "phase": rng.random(nv)}


def _bulk_rows(rng: np.random.Generator, fleet: dict, n: int, start: str, *, step_s: float,
               t0_s: float = 0.0) -> dict:
    """Which vessel reports, in time order (class B about a third as often), ``step_s`` apart on
    average after ``t0_s`` seconds from ``start``, and where it is: going back and forth along its
    leg, with noise."""
    nv, class_b, speed = fleet["nv"], fleet["class_b"], fleet["speed"]
    table = np.repeat(np.arange(nv, dtype=np.int32), np.where(class_b, 7, 20))  # weights 0.35 : 1
    vid = table[rng.integers(0, len(table), n)]
    t_s = np.cumsum(rng.exponential(step_s, n))
    if t0_s:
        t_s += t0_s
    ts_ns = pd.Timestamp(start).value + (t_s * 1e9).astype(np.int64)
    L = fleet["leg_m"][vid]
    s = (t_s * (speed[vid] * _MS_PER_KN) + fleet["phase"][vid] * 2 * L) % (2 * L)
    back = s > L
    frac = np.where(back, 2.0 - s / L, s / L)

    def noise(sd: float) -> np.ndarray:
        return rng.standard_normal(n, dtype=np.float32) * np.float32(sd)

    a_lat, a_lon, b_lat, b_lon = fleet["a_lat"][vid], fleet["a_lon"][vid], fleet["b_lat"][vid], fleet["b_lon"][vid]
    lat = a_lat + frac * (b_lat - a_lat) + noise(2e-5)
    lon = a_lon + frac * (b_lon - a_lon) + noise(2e-5)
    del frac, s
    cog = (
        fleet["brg_ab"].astype(np.float32)[vid] + np.where(back, np.float32(180), np.float32(0)) + noise(1.5)
    ) % np.float32(360)
    sog = np.clip(speed.astype(np.float32)[vid] + noise(0.2), 0, 102.2)
    heading = np.round((cog + noise(2)) % np.float32(360)) % np.float32(360)
    heading = np.where(class_b[vid], np.nan, heading).astype(np.float32)
    return {"n": n, "vid": vid, "t_s": t_s, "ts_ns": ts_ns, "lat": lat, "lon": lon, "cog": cog, "sog": sog,
            "heading": heading}


def _bulk_identities(rng: np.random.Generator, fleet: dict) -> dict:
    """Per vessel: name, call sign, IMO number (valid check digit; none for class B and tugs), destination."""
    nv = fleet["nv"]
    vname = np.array([f"{p} {q} {i % 1000}" for i, (p, q) in enumerate(zip(
        rng.choice(_NAME_PARTS["*"][0], nv), rng.choice(_NAME_PARTS["*"][1], nv)))], dtype=object)
    cs_pre = np.array(["UB", "DS", "JD", "BP", "3E", "A8", "V7", "T8", "9L", "VR"])
    csign = np.char.add(np.char.add(cs_pre[rng.integers(0, len(cs_pre), nv)], _LETTERS[rng.integers(0, 26, nv)]),
                        rng.integers(100, 999, nv).astype(str)).astype(object)
    base = rng.integers(0, 100_000, nv)
    digits = np.stack([base // 10 ** k % 10 for k in (4, 3, 2, 1, 0)])
    check = (9 * 7 + (digits * np.array([6, 5, 4, 3, 2])[:, None]).sum(axis=0)) % 10
    dest_port = np.array([_DEST[p] for p in _PORTS], dtype=object)
    return {"name": vname, "call_sign": csign, "imo": 9_000_000 + base * 10 + check,
            "imo_na": fleet["class_b"] | (fleet["kind"] == 4), "dest": dest_port[rng.integers(0, len(dest_port), nv)]}


def _bulk_frame(fleet: dict, rows: dict, ids: dict) -> pd.DataFrame:
    n, vid, class_b = rows["n"], rows["vid"], fleet["class_b"]

    def cat_from(values: np.ndarray) -> pd.Categorical:
        cats, codes = np.unique(values.astype(str), return_inverse=True)
        return pd.Categorical.from_codes(codes.astype(np.int32)[vid], categories=pd.Index(cats, dtype=object))

    dest = pd.Categorical(ids["dest"])
    ncat = pd.Categorical.from_codes(
        np.where(class_b, -1, dest.codes)[vid].astype(np.int32), categories=dest.categories
    )
    return pd.DataFrame(copy=False, data={
        "mmsi": fleet["mmsi"][vid],
        "timestamp": pd.Series(rows["ts_ns"].view("datetime64[ns]")).dt.tz_localize("UTC"),
        "lat": rows["lat"],
        "lon": rows["lon"],
        "sog_kn": rows["sog"],
        "cog_deg": rows["cog"],
        "heading_deg": rows["heading"],
        "nav_status": pd.arrays.IntegerArray(np.where(fleet["kind"] == 2, 7, 0).astype(np.int8)[vid], class_b[vid]),
        "draught_m": np.where(class_b[vid], np.float32(np.nan), fleet["draught"][vid]).astype(np.float32),
        "imo": pd.arrays.IntegerArray(ids["imo"].astype(np.int32)[vid], ids["imo_na"][vid]),
        "vessel_name": cat_from(ids["name"]),
        "call_sign": cat_from(ids["call_sign"]),
        "vessel_type": pd.arrays.IntegerArray(fleet["vtype"][vid], np.zeros(n, dtype=bool)),
        "destination": ncat,
        "length_m": fleet["length"][vid],
        "width_m": fleet["width"][vid],
        "ais_class": pd.Categorical.from_codes(class_b[vid].astype(np.int8), categories=pd.Index(["A", "B"])),
    })


def write_bulk(positions: pd.DataFrame, path, *, fmt: str = "parquet") -> Path:
    """Write a large positions table fast: "parquet" (canonical columns) or "csv" (MarineCadastre
    layout, written with pyarrow). Returns the path."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        positions.to_parquet(path, index=False, engine="pyarrow", compression="zstd")
    elif fmt == "csv":
        table = pa.Table.from_pandas(to_marinecadastre(positions), preserve_index=False)
        with open(path, "wb") as fh:  # header unquoted, as MarineCadastre writes it
            fh.write((",".join(MARINECADASTRE_COLUMNS) + "\n").encode())
            pacsv.write_csv(table, fh, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    else:
        raise ConfigError(f"fmt {fmt!r} unknown; expected 'parquet' or 'csv'")
    return path
