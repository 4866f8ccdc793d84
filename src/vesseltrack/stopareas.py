"""Stop areas learnt from the data (berths, marinas, anchorages), and each position's context.

The World Port Index gives a port as one circle around a nominal centre: it misses the quays,
marinas, ferry terminals and anchorages where ships actually lie still, often kilometres away.
Global Fishing Watch finds anchorages from the data instead (pipe-anchorages: fine S2 cells where
enough distinct vessels stay still, merged with their neighbours, named after the nearest port).
This module does the same, fleet-wide and vectorised:

1. A position is *stopped* when its speed over ground is under :data:`STOP_KN` (without one, its
   implied speed under :data:`IMPLIED_STOP_KN`), or its navigational status says moored (5) or at
   anchor (1) while it is under :data:`STATUS_STOP_KN`.
2. Stopped positions are binned into square cells of about ``cell_m`` metres (500 m by default:
   a large anchorage berth swings over a few hundred metres; a quay is tens of metres long).
3. A cell where vessels stopped, and where at least ``min_vessels`` distinct vessels stopped in it
   or its 8 neighbours during the data (so a quay that straddles a cell edge counts all its ships),
   is a stop cell. An STS transfer at sea puts two vessels together, so the default is three: a
   place many ships use is a berth or an anchorage, not a meeting.
4. Stop cells that touch (8-neighbourhood) form one area. Each area is named after the nearest
   gazetteer port within :data:`NAME_KM`, and labelled:
   ``marina`` when most of its vessels are pleasure craft or class B, ``berth`` when most stopped
   reports there say moored, or (without a status) when it lies within :data:`BERTH_SHORE_KM` of
   the coast, and ``anchorage`` otherwise.

Lookups accept a one-cell margin around every area (a ship at the edge of a quay, a partner
alongside), so an area covers its stops plus about ``cell_m`` around them.

Areas learnt from a month of data can serve a one-day file: ``vesseltrack score`` writes the
cells to ``stop_areas.csv`` (:meth:`StopAreas.table`, spec ``schema.STOP_AREAS``), :func:`load`
reads them back (``--stop-areas FILE``) and :func:`combine` merges them with what a run learns.

Each position then gets a *context* (:data:`CONTEXTS`), computed once (:func:`position_context`):
``berth`` (including marinas), ``anchorage``, ``port`` (inside a gazetteer port zone but no stop
area) or ``at sea``. Detectors read it instead of asking the gazetteer again. Event positions
(few) are also tested against the coastline at coastal precision (:func:`event_context`): "at sea"
on land is ``inland`` (rivers, canals, basins).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from vesseltrack.errors import ConfigError
from vesseltrack.geo import BLOCK_ROWS, EARTH_RADIUS_M

if TYPE_CHECKING:  # at run time zones (and shapely) is imported where used, for a fast CLI start
    from vesseltrack.zones import Gazetteer

#: Stopped: speed under this (kn).
STOP_KN = 0.5
#: Without a reported speed, the speed implied by consecutive positions under this (kn): a ship
#: swinging at anchor, heard every 10 minutes, moves 100-300 m between reports (0.3-1 kn).
IMPLIED_STOP_KN = 1.0
#: ...or status moored / at anchor and speed under this (kn).
STATUS_STOP_KN = 1.5
#: AIS navigational status codes: 1 at anchor, 5 moored.
AT_ANCHOR, MOORED = 1, 5
DEFAULT_CELL_M = 500.0
DEFAULT_MIN_VESSELS = 3
#: An area is named after the nearest gazetteer port within this distance (km).
NAME_KM = 30.0
#: Without a moored/anchored majority, an area this close to the coast (km) is a berth.
BERTH_SHORE_KM = 1.0
KINDS = ("berth", "anchorage", "marina")
#: Position context codes (int8) and their names. INLAND is given to event positions only
#: (:func:`event_context`): outside ports and stop areas but on land at coastal precision, i.e. in
#: a river, canal or basin that the coastline does not resolve.
AT_SEA, PORT, ANCHORAGE, BERTH, INLAND = 0, 1, 2, 3, 4
CONTEXTS = ("at sea", "port", "anchorage", "berth", "inland")
FORMAT = "vesseltrack-stop-areas/1"
_M_PER_DEG = np.pi * EARTH_RADIUS_M / 180.0
_OFF = 1 << 20  # keeps cell indices positive in the int64 key
#: Largest dense lookup table (cells; 4 bytes each).
_MAX_DENSE_CELLS = 4_000_000
#: A cell and its 8 neighbours (the cell itself first).
_DY = np.array([0, -1, -1, -1, 0, 0, 1, 1, 1])
_DX = np.array([0, -1, 0, 1, -1, 1, -1, 0, 1])


def _rows_per_deg(cell_m: float) -> int:
    return max(1, int(round(_M_PER_DEG / cell_m)))


#: cos of the centre latitude of each 1-degree band, -90..90 (index band + 90).
_BAND_COS = np.maximum(np.cos(np.radians(np.arange(-90, 91) + 0.5)), 1e-6)


def _band_cos(iy: np.ndarray, rpd: int) -> np.ndarray:
    """cos of the centre latitude of the 1-degree band holding row ``iy`` (a table lookup)."""
    band = np.floor_divide(np.asarray(iy), rpd).astype(np.int64)
    band += 90
    np.clip(band, 0, 180, out=band)
    return _BAND_COS[band]


def cell_index(lat: np.ndarray, lon: np.ndarray, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the ~``cell_m`` square cell of each point. A degree of latitude holds a whole
    number of rows (1/round(111.2 km / cell_m) degree each); columns are a row's height in longitude
    scaled by the cosine at the centre of the point's 1-degree band, so cells stay nearly square at
    any latitude. Neighbours across a band edge are found by position (:func:`_neighbour_keys`)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    rpd = _rows_per_deg(cell_m)
    iy = np.floor(lat * rpd)
    ix = np.floor(lon * _band_cos(iy, rpd) * rpd)
    return iy, ix


def _neighbour_keys(iy: np.ndarray, ix: np.ndarray, cell_m: float) -> np.ndarray:
    """Keys of each cell and its 8 neighbours, shape (9, n), the cell itself first: the cells at row
    +-1 that hold the cell's centre longitude, and their columns +-1."""
    rpd = _rows_per_deg(cell_m)
    iy = np.asarray(iy, dtype=np.int64)
    lon_c = (np.asarray(ix, dtype=np.int64) + 0.5) / (_band_cos(iy, rpd) * rpd)
    out = np.empty((9, len(iy)), dtype=np.int64)
    for j, (dy, dx) in enumerate(zip(_DY, _DX)):
        row = iy + dy
        col = np.floor(lon_c * _band_cos(row, rpd) * rpd).astype(np.int64) + dx
        out[j] = _key(row, col)
    return out


def _key(iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
    return (iy.astype(np.int64) + _OFF) * (4 * _OFF) + (ix.astype(np.int64) + 2 * _OFF)


def _unkey(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return key // (4 * _OFF) - _OFF, key % (4 * _OFF) - 2 * _OFF


@dataclass
class StopAreas:
    """Learnt stop areas: ``cells`` (one row per stop cell: ``key``, ``area``) and ``areas`` (one
    row per area: ``area``, ``kind``, ``name``, ``lat``, ``lon``, ``n_vessels``, ``n_cells``)."""

    cells: pd.DataFrame
    areas: pd.DataFrame
    cell_m: float = DEFAULT_CELL_M

    def __post_init__(self) -> None:
        # every stop cell and its 8 neighbours point to the area (the margin); a cell claimed by two
        # areas keeps the one that owns it, then the lower area id
        key = self.cells["key"].to_numpy(np.int64)
        area = self.cells["area"].to_numpy(np.int64)
        iy, ix = _unkey(key)
        own = np.repeat(np.arange(9) != 0, len(key))  # 0 for the cell itself, 1 for a margin
        allk = _neighbour_keys(iy, ix, self.cell_m).ravel()
        alla = np.tile(area, 9)
        o = np.lexsort((alla, own, allk))
        allk, alla = allk[o], alla[o]
        first = np.r_[True, allk[1:] != allk[:-1]] if len(allk) else np.zeros(0, bool)
        self._keys, self._area = allk[first], alla[first]
        # bounding box of the cells with a margin of two cells (lat0, lat1, lon0, lon1)
        if len(key):
            rpd = _rows_per_deg(self.cell_m)
            lat_c = (iy + 0.5) / rpd
            lon_c = (ix + 0.5) / (_band_cos(iy, rpd) * rpd)
            m_lat = 2.0 / rpd
            m_lon = m_lat / max(float(np.cos(np.radians(min(np.abs(lat_c).max() + m_lat, 89.0)))), 1e-6)
            self._box = (lat_c.min() - m_lat, lat_c.max() + m_lat, lon_c.min() - m_lon, lon_c.max() + m_lon)
        else:
            self._box = (np.inf, -np.inf, np.inf, -np.inf)
        # a dense table of area rows over the cells' extent, when it is small
        self._dense = None
        if len(self._keys):
            ky, kx = _unkey(self._keys)
            y0, x0 = int(ky.min()), int(kx.min())
            shape = (int(ky.max()) - y0 + 1, int(kx.max()) - x0 + 1)
            if shape[0] * shape[1] <= _MAX_DENSE_CELLS:
                table = np.full(shape, -1, dtype=np.int32)
                table[ky - y0, kx - x0] = self._area
                self._dense = (table, y0, x0)

    def __len__(self) -> int:
        return len(self.areas)

    def lookup(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Row of ``areas`` each point lies in (its cell or a neighbour of a stop cell), -1 for none.

        Points outside the areas' bounding box are skipped at once; inside it, cells are read from a
        dense table over the box when that is small (a port, a coast), else found by binary search.
        Worked out in blocks of rows, so scratch arrays stay small.
        """
        lat = np.asarray(lat, dtype=float)
        lon = np.asarray(lon, dtype=float)
        out = np.full(len(lat), -1, dtype=np.int32)
        if len(self._keys) == 0 or len(lat) == 0:
            return out
        for s in range(0, len(lat), BLOCK_ROWS):
            la, lo = lat[s:s + BLOCK_ROWS], lon[s:s + BLOCK_ROWS]
            with np.errstate(invalid="ignore"):  # NaN is outside
                ok = np.flatnonzero(
                    (la >= self._box[0]) & (la <= self._box[1]) & (lo >= self._box[2]) & (lo <= self._box[3])
                )
            if len(ok) == 0:
                continue
            iy, ix = cell_index(la[ok], lo[ok], self.cell_m)
            if self._dense is not None:
                table, y0, x0 = self._dense
                ry = iy.astype(np.int64) - y0
                rx = ix.astype(np.int64) - x0
                inside = (ry >= 0) & (ry < table.shape[0]) & (rx >= 0) & (rx < table.shape[1])
                got = np.full(len(ok), -1, dtype=np.int32)
                got[inside] = table[ry[inside], rx[inside]]
                out[s + ok] = got
            else:
                k = _key(iy, ix)
                j = np.minimum(np.searchsorted(self._keys, k), len(self._keys) - 1)
                hit = self._keys[j] == k
                out[s + ok[hit]] = self._area[j[hit]]
        return out

    def kind_code(self, area: np.ndarray) -> np.ndarray:
        """Context code (ANCHORAGE or BERTH; marinas are berths) of area rows; AT_SEA for -1."""
        kinds = self.areas["kind"].to_numpy(dtype=object)
        code = np.where(kinds == "anchorage", ANCHORAGE, BERTH).astype(np.int8)
        area = np.asarray(area)
        return np.where(area >= 0, code[np.maximum(area, 0)] if len(code) else AT_SEA, AT_SEA).astype(np.int8)

    def table(self) -> pd.DataFrame:
        """The stop cells as a schema.STOP_AREAS table (what ``stop_areas.csv`` holds and :func:`load` reads)."""
        iy, ix = _unkey(self.cells["key"].to_numpy(np.int64))
        a = self.areas.set_index("area").loc[self.cells["area"].to_numpy()]
        rpd = _rows_per_deg(self.cell_m)
        lat = (iy + 0.5) / rpd
        lon = (ix + 0.5) / (_band_cos(iy, rpd) * rpd)
        n = len(iy)
        return pd.DataFrame({"format": np.full(n, FORMAT, dtype=object), "cell_m": np.full(n, float(self.cell_m)),
                             "row": iy.astype(np.int64), "col": ix.astype(np.int64), "lat": lat, "lon": lon,
                             "area": self.cells["area"].to_numpy(np.int64), "kind": a["kind"].to_numpy(dtype=object),
                             "name": a["name"].to_numpy(dtype=object), "n_vessels": a["n_vessels"].to_numpy(np.int64)})

    def describe(self) -> dict:
        """Summary for summary.json: areas by kind."""
        k = self.areas["kind"].value_counts()
        return {"stop_areas": len(self.areas), **{f"{kind}s": int(k.get(kind, 0)) for kind in KINDS},
                "cell_m": self.cell_m}


def empty(cell_m: float = DEFAULT_CELL_M) -> StopAreas:
    return StopAreas(
        pd.DataFrame({"key": np.zeros(0, np.int64), "area": np.zeros(0, np.int64)}),
        pd.DataFrame(
            {
                "area": np.zeros(0, np.int64),
                "kind": np.zeros(0, object),
                "name": np.zeros(0, object),
                "lat": np.zeros(0),
                "lon": np.zeros(0),
                "n_vessels": np.zeros(0, np.int64),
                "n_cells": np.zeros(0, np.int64),
            }
        ),
        cell_m,
    )


def stopped(steps: pd.DataFrame) -> np.ndarray:
    """Per position: the vessel is lying still (see the module docstring)."""
    sog = steps["sog_kn"].to_numpy()
    implied = steps["implied_speed_kn"].to_numpy()
    no_sog = np.isnan(sog)
    with np.errstate(invalid="ignore"):
        out = sog < STOP_KN  # False where NaN
        out |= no_sog & (implied < IMPLIED_STOP_KN)
        status = steps["nav_status"].array
        if status.isna().all():
            return out
        code = status.to_numpy(dtype=np.int8, na_value=-1)
        still = (code == AT_ANCHOR) | (code == MOORED)
        # moored / at anchor and not faster than STATUS_STOP_KN (a missing speed does not contradict the status)
        still &= ~(sog >= STATUS_STOP_KN)
        still &= ~(no_sog & (implied >= STATUS_STOP_KN))
        out |= still
    return out


def _components(keys: np.ndarray, cell_m: float) -> np.ndarray:
    """Connected components (8-neighbourhood) of sorted unique cell keys: a label per key."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(keys)
    iy, ix = _unkey(keys)
    k = _neighbour_keys(iy, ix, cell_m)
    j = np.minimum(np.searchsorted(keys, k), n - 1)
    hit = keys[j] == k
    r = np.broadcast_to(np.arange(n), k.shape)[hit]
    c = j[hit]
    graph = coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return label


def _area_kind(leisure_share: np.ndarray, moored: np.ndarray, anchored: np.ndarray, clat: np.ndarray,
               clon: np.ndarray) -> np.ndarray:
    """``marina`` (mostly pleasure craft or class B), else ``berth`` or ``anchorage`` by the statuses of
    the reports, and when they say neither by the distance from the coast (:data:`BERTH_SHORE_KM`)."""
    from vesseltrack.zones import shore_distance_km

    shore = shore_distance_km(clat, clon)
    by_shore = np.where(shore < BERTH_SHORE_KM, "berth", "anchorage")
    by_status = np.where(moored > anchored, "berth", np.where(anchored > moored, "anchorage", by_shore))
    return np.where(leisure_share > 0.5, "marina", by_status)


def _area_names(clat: np.ndarray, clon: np.ndarray, gaz) -> np.ndarray:
    """The nearest gazetteer port within :data:`NAME_KM` of each area's centre ('' when none or no ``gaz``)."""
    name = np.full(len(clat), "", dtype=object)
    if gaz is not None and len(gaz.zones):
        from vesseltrack.zones import nearest_zone

        km, j = nearest_zone(clat, clon, gaz)
        name = np.where(km <= NAME_KM, gaz.names[np.maximum(j, 0)], "").astype(object)
    return name


def learn_partial(steps: pd.DataFrame, *, cell_m: float = DEFAULT_CELL_M) -> pd.DataFrame:
    """What the vessels of ``steps`` ((mmsi, timestamp)-sorted, schema.STEPS columns; whole vessels)
    contribute to the stop areas: one row per (cell ``key``, ``mmsi``) where the vessel stopped,
    sorted by (key, mmsi), with ``leisure`` (1 when the vessel's first stop there was a pleasure
    craft or class B report), the stopped reports ``n`` there, ``moored`` and ``anchored`` among
    them, and the sums of their ``lat`` and ``lon`` (in the vessel's time order). The rows of one
    vessel depend on that vessel alone, so any partitioning of the fleet by vessel gives the same
    rows (:func:`combine_partials`)."""
    if cell_m <= 0:
        raise ConfigError(f"stop areas need cell_m > 0; received cell_m={cell_m}; fix the parameter")
    s = np.flatnonzero(stopped(steps))
    lat = steps["lat"].to_numpy(dtype=float)[s]
    lon = steps["lon"].to_numpy(dtype=float)[s]
    iy, ix = cell_index(lat, lon, cell_m)
    key = _key(iy, ix)
    mmsi = steps["mmsi"].to_numpy()[s].astype(np.int64)
    # (key, mmsi) groups numbered in order of first appearance (rows are sorted by vessel, then time)
    kc = pd.factorize(key)[0].astype(np.int64)
    mc, um = pd.factorize(mmsi)
    grp = pd.factorize(kc * len(um) + mc)[0]
    n_grp = int(grp.max()) + 1 if len(grp) else 0
    first = np.full(n_grp, len(grp), dtype=np.int64)
    np.minimum.at(first, grp, np.arange(len(grp)))
    row = s[first]
    vt = steps["vessel_type"].to_numpy(dtype=float, na_value=np.nan)[row]
    cls = steps["ais_class"].astype(object).to_numpy()[row]
    status = steps["nav_status"].to_numpy(dtype=float, na_value=np.nan)[s]
    out = pd.DataFrame({
        "key": key[first], "mmsi": mmsi[first],
        "leisure": ((vt == 36) | (vt == 37) | (cls == "B")).astype(np.int64),
        "n": np.bincount(grp, minlength=n_grp).astype(np.int64),
        "moored": np.bincount(grp, weights=(status == MOORED), minlength=n_grp).astype(np.int64),
        "anchored": np.bincount(grp, weights=(status == AT_ANCHOR), minlength=n_grp).astype(np.int64),
        "lat_sum": np.bincount(grp, weights=lat, minlength=n_grp),  # sequential: the vessel's time order
        "lon_sum": np.bincount(grp, weights=lon, minlength=n_grp),
    })
    return out.sort_values(["key", "mmsi"], kind="stable").reset_index(drop=True)


def combine_partials(parts: list[pd.DataFrame], gaz=None, *, cell_m: float = DEFAULT_CELL_M,
                     min_vessels: int = DEFAULT_MIN_VESSELS) -> StopAreas:
    """Stop areas from the :func:`learn_partial` rows of disjoint sets of vessels: the same areas
    whichever way the fleet was partitioned (every sum is taken over rows sorted by (key, mmsi))."""
    if cell_m <= 0 or min_vessels < 1:
        raise ConfigError(
            f"stop areas need cell_m > 0 and min_vessels >= 1; received cell_m={cell_m}, min_vessels={min_vessels}; fix the parameters"  # noqa: E501
        )
    pairs = pd.concat(parts, ignore_index=True) if len(parts) != 1 else parts[0]
    if len(pairs) == 0:
        return empty(cell_m)
    if len(parts) != 1:
        pairs = pairs.sort_values(["key", "mmsi"], kind="stable").reset_index(drop=True)
    pkey = pairs["key"].to_numpy(np.int64)
    # distinct vessels stopped in each cell or its 8 neighbours (a quay that straddles a cell edge
    # still counts all its ships); a stop cell also needs stops of its own
    py, px = _unkey(pkey)
    nk = _neighbour_keys(py, px, cell_m).ravel()
    near = pd.DataFrame({"key": nk, "mmsi": np.tile(pairs["mmsi"].to_numpy(), 9)}).drop_duplicates()
    per_cell = near.groupby("key", sort=True)["mmsi"].size()
    busy = per_cell.index.to_numpy(np.int64)[per_cell.to_numpy() >= min_vessels]
    cells = np.intersect1d(busy, pkey)
    if len(cells) == 0:
        return empty(cell_m)
    label = _components(cells, cell_m)
    # describe each area from the stopped reports and vessels in its cells
    p = pairs[np.isin(pkey, cells)]
    p_area = label[np.searchsorted(cells, p["key"].to_numpy())]
    n_area = int(label.max()) + 1

    def per_area(col: str) -> np.ndarray:
        return np.bincount(p_area, weights=p[col].to_numpy(dtype=float), minlength=n_area)

    n_rows = np.maximum(per_area("n"), 1)
    n_ves = np.bincount(p_area, minlength=n_area)
    leisure_share = per_area("leisure") / np.maximum(n_ves, 1)
    clat = per_area("lat_sum") / n_rows
    clon = per_area("lon_sum") / n_rows
    kind = _area_kind(leisure_share, per_area("moored"), per_area("anchored"), clat, clon)
    name = _area_names(clat, clon, gaz)
    areas = pd.DataFrame(
        {
            "area": np.arange(n_area),
            "kind": kind.astype(object),
            "name": name,
            "lat": clat,
            "lon": clon,
            "n_vessels": n_ves.astype(np.int64),
            "n_cells": np.bincount(label, minlength=n_area).astype(np.int64),
        }
    )
    return StopAreas(pd.DataFrame({"key": cells, "area": label.astype(np.int64)}), areas, cell_m)


def learn(
    steps: pd.DataFrame, gaz=None, *, cell_m: float = DEFAULT_CELL_M, min_vessels: int = DEFAULT_MIN_VESSELS
) -> StopAreas:
    """Stop areas from (mmsi, timestamp)-sorted positions with schema.STEPS columns.

    ``gaz``: a zones.Gazetteer to name areas after (None: unnamed). Vectorised over the fleet: the
    :func:`combine_partials` of one :func:`learn_partial` (an engine combines its partitions').
    """
    if cell_m <= 0 or min_vessels < 1:
        raise ConfigError(
            f"stop areas need cell_m > 0 and min_vessels >= 1; received cell_m={cell_m}, min_vessels={min_vessels}; fix the parameters"  # noqa: E501
        )
    return combine_partials([learn_partial(steps, cell_m=cell_m)], gaz, cell_m=cell_m, min_vessels=min_vessels)


def load(path: str | Path) -> StopAreas:
    """Stop areas written by :meth:`StopAreas.save`."""
    path = Path(path)
    need = {"format", "cell_m", "row", "col", "area", "kind", "name", "n_vessels"}
    try:
        df = pd.read_csv(path, dtype={"name": str, "kind": str}, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"{path}: cannot read stop areas ({err}); expected the stop_areas.csv that 'vesseltrack score' writes; check the path"  # noqa: E501
        ) from err
    if not need <= set(df.columns) or (len(df) and (df["format"] != FORMAT).any()):
        raise ConfigError(
            f"{path}: not a stop-areas file; expected columns {sorted(need)} with format {FORMAT!r}; received columns {list(df.columns)[:10]}; use the stop_areas.csv that 'vesseltrack score' writes"  # noqa: E501
        )
    if len(df) == 0:
        return empty()
    cell_m = df["cell_m"].unique()
    if len(cell_m) != 1 or not cell_m[0] > 0 or not set(df["kind"]) <= set(KINDS):
        raise ConfigError(
            f"{path}: stop-areas file has cell sizes {cell_m.tolist()} and kinds {sorted(set(df['kind']))}; expected one positive cell size and kinds in {KINDS}; re-save it"  # noqa: E501
        )
    area = pd.factorize(df["area"], sort=True)[0]
    key = _key(df["row"].to_numpy(np.int64), df["col"].to_numpy(np.int64))
    o = np.argsort(key, kind="stable")
    first = df.groupby(area, sort=True).first()
    lat = df.groupby(area, sort=True)["lat"].mean().to_numpy() if "lat" in df else np.full(len(first), np.nan)
    lon = df.groupby(area, sort=True)["lon"].mean().to_numpy() if "lon" in df else np.full(len(first), np.nan)
    areas = pd.DataFrame({"area": np.arange(len(first)), "kind": first["kind"].to_numpy(dtype=object),
                          "name": first["name"].to_numpy(dtype=object), "lat": lat, "lon": lon,
                          "n_vessels": first["n_vessels"].to_numpy(np.int64),
                          "n_cells": np.bincount(area, minlength=len(first)).astype(np.int64)})
    return StopAreas(pd.DataFrame({"key": key[o], "area": area[o].astype(np.int64)}), areas, float(cell_m[0]))


def combine(a: StopAreas, b: StopAreas) -> StopAreas:
    """Areas of both (``a`` wins where a cell is in both). Cell sizes must match."""
    if len(b) == 0:
        return a
    if len(a) == 0:
        return b
    if a.cell_m != b.cell_m:
        raise ConfigError(
            f"stop areas with cells of {a.cell_m} m and {b.cell_m} m cannot be combined; expected one cell size; learn both with the same cell size"  # noqa: E501
        )
    bk = b.cells["key"].to_numpy(np.int64)
    keep = ~np.isin(bk, a.cells["key"].to_numpy(np.int64))
    # b's areas that keep a cell, renumbered after a's
    b_area = b.cells["area"].to_numpy(np.int64)[keep]
    used = np.unique(b_area)
    cells = pd.concat([a.cells, pd.DataFrame({"key": bk[keep], "area": np.searchsorted(used, b_area) + len(a.areas)})],
                      ignore_index=True)
    cells = cells.sort_values("key", kind="stable").reset_index(drop=True)
    b_areas = b.areas.set_index("area").loc[used].reset_index(drop=True)
    areas = pd.concat(
        [a.areas, b_areas.assign(area=np.arange(len(used)) + len(a.areas))[a.areas.columns]], ignore_index=True
    )
    return StopAreas(cells, areas, a.cell_m)


def position_context(
    lat: np.ndarray, lon: np.ndarray, zone: np.ndarray, areas: StopAreas
) -> tuple[np.ndarray, np.ndarray]:
    """(context code, stop area row) of each position: a stop area's kind where there is one, else
    PORT inside a gazetteer zone (``zone`` from zones.assign_zone), else AT_SEA."""
    area = areas.lookup(lat, lon)
    ctx = areas.kind_code(area)
    ctx[(area < 0) & (np.asarray(zone) >= 0)] = PORT
    return ctx, area


def event_context(lat: np.ndarray, lon: np.ndarray, zone: np.ndarray, areas: StopAreas) -> np.ndarray:
    """Context codes of event positions (few): :func:`position_context`, with positions at sea that
    lie on land at coastal precision (shore.py) marked INLAND (a river, a canal such as Suez, an
    unresolved harbour basin): ships side by side or silent there are not at sea."""
    from vesseltrack.shore import on_land

    ctx, _ = position_context(lat, lon, zone, areas)
    sea = np.flatnonzero(ctx == AT_SEA)
    ctx[sea[on_land(np.asarray(lat, dtype=float)[sea], np.asarray(lon, dtype=float)[sea])]] = INLAND
    return ctx


def visit_zones(zone: np.ndarray, area: np.ndarray, gaz: Gazetteer, areas: StopAreas) -> tuple[np.ndarray, Gazetteer]:
    """Zones for port visits and voyages: the gazetteer's, plus the learnt berths and marinas
    outside them (a quay, a marina or a ferry terminal the World Port Index circles miss; anchorages
    are waiting areas, not calls). Returns (per-position zone index into the extended gazetteer,
    -1 for none; the extended zones.Gazetteer). Berth zones are named after the area's port,
    e.g. ``LEONARDO (berth 3)``, and are not sensitive."""
    from vesseltrack.zones import Gazetteer

    kinds = areas.areas["kind"].to_numpy(dtype=object)
    is_berth = (kinds == "berth") | (kinds == "marina")
    if not is_berth.any():
        return zone, gaz
    rows = np.flatnonzero(is_berth)
    a = areas.areas.iloc[rows]
    label = np.where(a["name"].fillna("").to_numpy(dtype=object) != "",
                     a["name"].fillna("").to_numpy(dtype=object) + " (", "(").astype(object)
    label = label + a["kind"].to_numpy(dtype=object) + " " + a["area"].astype(str).to_numpy(dtype=object) + ")"
    extra = pd.DataFrame(
        {
            "port": label,
            "country": "",
            "lat": a["lat"].to_numpy(float),
            "lon": a["lon"].to_numpy(float),
            "radius_m": float(areas.cell_m),
            "sensitive": False,
        }
    )
    vgaz = Gazetteer(pd.concat([gaz.zones, extra], ignore_index=True), dict(gaz.polygons))
    index = np.full(len(kinds), -1, dtype=np.int64)
    index[rows] = len(gaz.zones) + np.arange(len(rows))
    area = np.asarray(area)
    from_area = np.where(area >= 0, index[np.maximum(area, 0)], -1)
    return np.where(np.asarray(zone) >= 0, zone, from_area).astype(np.int32), vgaz


def context_names(code: np.ndarray) -> np.ndarray:
    """Context names (object array) of context codes."""
    return np.asarray(CONTEXTS, dtype=object)[np.asarray(code, dtype=np.int64)]
