"""Cargo estimates from AIS draught: vessel particulars, cargo operations, trips, flows and caps.

A ship that loads sinks; AIS carries its draught, typed in by the crew. Wherever the reported
draught changes across a chance to move cargo (a port visit, a ship-to-ship encounter, a gap in
the reports), the cargo moved is the displacement change, estimated as tonnes per centimetre
immersion (TPC) times the change:

    TPC = Cwp x LWL x B x 1.025 t/m3 / 100        tonnes = |change in draught (cm)| x TPC

(the method of Arslanalp, Marini and Tumbarello, IMF working paper 2019/275, and of the World
Bank's AIS trade estimates, which use the equivalent L x B x T x Cb x 1.025 displacement
difference). B is the AIS beam; LWL, the waterline length, is 92-98% of the AIS length overall;
the waterplane coefficient Cwp = (1 + 2 Cb) / 3 (Schneekluth and Bertram, *Ship Design for
Efficiency and Economy*, 1998) from a block coefficient range by ship type (:data:`BLOCK_COEFF`).
Every estimate is a low / central / high range: low takes the smallest coefficients and a change
0.1 m smaller (AIS draught has 0.1 m resolution: each reading is rounded), high the largest and
0.1 m larger.

What AIS draught cannot show, said wherever it matters:

- the figure is what the crew typed, often stale (updated late, at the next port, or never): a
  ship whose draught never changes in the data gets no estimate and a note saying so;
- oil carried in ballast tanks, or a partial load within rounding, moves no reported draught;
- where a tanker whose draught is not maintained calls at an oil terminal, a *capacity bound*
  (deadweight from its dimensions x a fill factor, :func:`capacity_bounds`) is given instead,
  marked ``basis = 'capacity bound'``: an upper-end figure for a full load, not a measurement.

Operations become trips (:func:`trips`): each discharge is a delivery from the ship's last
loading place; a loading with no discharge reported before the next loading is a delivery to
wherever the ship went next: into a likely-dark gap ("dark, could have reached NAMPO (discharge not
reported)"), or to its next port ("BUSAN (discharge not reported)"). :func:`flows` sums trips per month and route;
:func:`cap_status` compares deliveries to North Korea with the UN caps (``data/caps.csv``).
"""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.detect.reach import port_names
from vesseltrack.features import vessel_population
from vesseltrack.products import PRODUCTS
from vesseltrack.tracks import vessel_starts
from vesseltrack.zones import Gazetteer

#: Smallest draught change read as cargo (m): smaller changes are trim corrections and rounding
#: (three steps of AIS's 0.1 m resolution).
MIN_CHANGE_M = 0.3
#: AIS draught resolution (m): each reading is rounded to it, so a difference is uncertain by +-0.1 m.
RESOLUTION_M = 0.1
#: Hours after an operation within which a late crew update still counts for it (unless the next
#: chance to move cargo comes first).
SETTLE_H = 48.0
SEAWATER_T_M3 = 1.025
#: Block coefficient (low, central, high) by population; others use ``"other"``. Typical values:
#: product and crude tankers 0.72-0.85, general cargo and ro-ro 0.60-0.80.
BLOCK_COEFF = {"tanker": (0.72, 0.79, 0.85), "cargo": (0.60, 0.70, 0.80), "other": (0.55, 0.68, 0.80)}
#: Waterline length over AIS length overall (low, central, high).
LWL_RATIO = (0.92, 0.95, 0.98)
#: Deadweight over full-load displacement (low, central, high): tankers carry more of their
#: displacement as cargo than general cargo ships.
DWT_RATIO = {"tanker": (0.72, 0.78, 0.84), "cargo": (0.62, 0.70, 0.78), "other": (0.55, 0.65, 0.75)}
#: Share of deadweight loaded for a capacity bound (low, central, high).
FILL_FACTOR = (0.80, 0.90, 0.98)
#: Oil-loading terminals: a tanker calling here without a reported draught change gets a capacity
#: bound. Russian Far East terminals of the published DPRK investigations (Vostochny, Nakhodka) and
#: the ESPO crude terminal at Kozmino.
OIL_TERMINALS = ("VOSTOCHNY", "NAKHODKA", "KOZMINO")
#: Russian ports east of this longitude are the Russian Far East.
FAR_EAST_MIN_LON = 100.0
#: Beam / length and draught / beam ranges of real hulls; outside them the dimensions are typos.
BEAM_LENGTH = (0.08, 0.30)
DRAUGHT_BEAM = (0.10, 0.90)

NO_ESTIMATE = {
    "no_dimensions": "no length or beam broadcast: no cargo estimate",
    "implausible": "length, beam and draught are not those of a real hull (typed in wrong?): no cargo estimate",
    "no_draught": "no draught broadcast: no cargo estimate from draught",
    "never_changed": "draught never changed in the data (not maintained?): no estimate from draught; AIS draught "
                     "is typed in by the crew and often stale, and oil carried in ballast tanks shows in no draught",
}


def _rng(tab: dict[str, tuple[float, float, float]], population: np.ndarray, k: int) -> np.ndarray:
    """Column k (0 low, 1 central, 2 high) of a per-population coefficient table."""
    vals = {name: v[k] for name, v in tab.items()}
    return pd.Series(population, dtype=object).map(vals).fillna(tab["other"][k]).to_numpy(dtype=float)


def _class_rank(ais_class: pd.Series) -> np.ndarray:
    """2 for class A, 1 for class B, 0 otherwise, per report (through the categories when categorical)."""
    if isinstance(ais_class.dtype, pd.CategoricalDtype):
        cats = ais_class.cat.categories.to_numpy(dtype=object)
        lut = np.array([2 if c == "A" else 1 if c == "B" else 0 for c in cats] + [0], dtype=np.int64)
        return lut[ais_class.cat.codes.to_numpy()]  # code -1 (missing): the 0 at the end
    cls = ais_class.astype(object).to_numpy()
    return np.where(cls == "A", 2, np.where(cls == "B", 1, 0))


def vessel_particulars(positions: pd.DataFrame) -> pd.DataFrame:
    """One row per track (schema.PARTICULARS) from positions sorted by (mmsi, timestamp)."""
    mmsi = positions["mmsi"].to_numpy()
    if len(mmsi) == 0:
        return schema.empty(schema.PARTICULARS)
    first = np.flatnonzero(vessel_starts(mmsi))

    def fmax(col: str) -> np.ndarray:
        return np.fmax.reduceat(positions[col].to_numpy(dtype=float, na_value=np.nan), first)

    length, beam, vtype, dmax = fmax("length_m"), fmax("width_m"), fmax("vessel_type"), fmax("draught_m")
    dmin = np.fmin.reduceat(positions["draught_m"].to_numpy(dtype=float, na_value=np.nan), first)
    # draught changes: consecutive reported draughts of one vessel that differ
    d = positions["draught_m"].to_numpy(dtype=float, na_value=np.nan)
    has = np.flatnonzero(~np.isnan(d))
    changed = (mmsi[has][1:] == mmsi[has][:-1]) & (d[has][1:] != d[has][:-1])
    vessel_of = np.cumsum(vessel_starts(mmsi)) - 1
    n_changes = np.bincount(vessel_of[has][1:][changed], minlength=len(first))
    code = np.maximum.reduceat(_class_rank(positions["ais_class"]), first)
    population = vessel_population(vtype, np.array([None, "B", "A"], dtype=object)[code], length)
    imo, name = _last_reported(positions["imo"], first), _last_reported(positions["vessel_name"], first)
    with np.errstate(invalid="ignore", divide="ignore"):
        bl, db = beam / length, dmax / beam
    plausible = (bl >= BEAM_LENGTH[0]) & (bl <= BEAM_LENGTH[1]) & (np.isnan(db) | ((db >= DRAUGHT_BEAM[0])
                                                                                    & (db <= DRAUGHT_BEAM[1])))
    note = np.select(
        [np.isnan(length) | np.isnan(beam) | (length <= 0) | (beam <= 0), ~plausible, np.isnan(dmax), n_changes == 0],
        [NO_ESTIMATE["no_dimensions"], NO_ESTIMATE["implausible"], NO_ESTIMATE["no_draught"],
         NO_ESTIMATE["never_changed"]], default="")
    out = pd.DataFrame({
        "mmsi": mmsi[first], "imo": imo, "vessel_name": name,
        "vessel_type": vtype, "population": population, "length_m": length, "width_m": beam,
        "min_draught_m": dmin, "max_draught_m": dmax, "draught_changes": n_changes,
        "draught_maintained": n_changes > 0, "dimensions_plausible": plausible,
        "cargo_note": pd.Series(note, dtype=object).replace("", None),
    })
    return schema.conform(out, schema.PARTICULARS)


def _last_reported(col: pd.Series, first: np.ndarray) -> pd.Series:
    """Per vessel (rows first[i] up to first[i+1]): the last value reported (missing when none)."""
    valid = col.notna().to_numpy()
    last = np.maximum.reduceat(np.where(valid, np.arange(len(col)), -1), first)
    out = col.take(np.maximum(last, 0)).astype(object).reset_index(drop=True)
    return out.where(pd.Series(last >= 0), None)


def tpc(length_m: np.ndarray, beam_m: np.ndarray, population: np.ndarray) -> tuple[np.ndarray, ...]:
    """Tonnes per centimetre immersion (low, central, high) from AIS length and beam."""
    out = []
    for k in range(3):
        cwp = (1.0 + 2.0 * _rng(BLOCK_COEFF, population, k)) / 3.0
        out.append(cwp * LWL_RATIO[k] * length_m * beam_m * SEAWATER_T_M3 / 100.0)
    return tuple(out)


def _base_port(place: pd.Series) -> pd.Series:
    """A place's port: learnt berths, anchorages and marinas ("NAME (berth 3)") are their port's."""
    return place.astype(object).str.replace(r" \((?:berth|anchorage|marina) \d+\)$", "", regex=True)


def _country_of(place: pd.Series, gaz: Gazetteer) -> np.ndarray:
    """Country of a port, as the gazetteer writes it (missing for places that are not ports)."""
    z = gaz.zones.drop_duplicates("port")
    return _base_port(place).map(dict(zip(z["port"], z["country"], strict=True))).to_numpy(dtype=object)


def _reach_text(gaps: pd.DataFrame, gaz: Gazetteer) -> tuple[pd.Series, np.ndarray]:
    """Per gap: the ports it could have reached, as "CHONGJIN, RAJIN, SONBONG" (sorted, so routes
    aggregate; the hours stay in events.csv), North Korea's alone when any is in reach (the question
    asked); and whether one is. Missing where the gap reached no sensitive port."""
    z = gaz.zones
    kp = set(z.loc[(z["country"] == "KP").to_numpy() & gaz.sensitive, "port"])
    names = port_names(gaps["reachable_ports"])
    in_kp = names.isin(kp)
    has_kp = in_kp.groupby(level=0).any().reindex(gaps.index, fill_value=False).to_numpy(dtype=bool)
    shown = names[in_kp | ~pd.Series(has_kp, index=gaps.index).reindex(names.index).to_numpy()]
    text = shown.sort_values(kind="stable").groupby(level=0, sort=False).agg(", ".join)
    return text.reindex(gaps.index).astype(object), has_kp


def opportunities(events: pd.DataFrame, gaz: Gazetteer) -> pd.DataFrame:
    """Chances to move cargo, one row per vessel and event: port visits, ship-to-ship candidates
    (each ship of the pair), and closed gaps that are likely dark or lie in port, not inside a port
    visit of the same ship. A gap that local reception explains, at sea, is not a chance to move
    cargo but a stretch of sea where no one heard the ship: a draught update during it is the crew
    catching up on the last port call (cargo.SETTLE_H), not an operation."""
    from vesseltrack.detect.encounters import both_ways

    pv = events[events["event_type"] == "port_visit"]
    sts = events["sts_candidate"].fillna(False).to_numpy(dtype=bool)  # only encounters have it
    enc = both_ways(events[sts]) if sts.any() else events.iloc[:0]
    gaps = events[(events["event_type"] == "gap").to_numpy() & events["is_closed"].fillna(False).to_numpy(dtype=bool)
                  & (events["likely_dark"].fillna(False) | events["in_port"].fillna(False)).to_numpy(dtype=bool)]
    dark = gaps["likely_dark"].fillna(False).to_numpy(dtype=bool)
    reach, kp = _reach_text(gaps, gaz)
    other = enc["other_vessel_name"].astype(object).where(enc["other_vessel_name"].notna(),
                                                          "MMSI " + enc["other_mmsi"].astype(str))
    frames = [
        pd.DataFrame({"where": pv["context"].fillna("port").to_numpy(dtype=object), "place": pv["port"].to_numpy(),
                      "to_dprk_possible": False}, index=pv.index),
        pd.DataFrame({"where": "sts", "place": ("STS at sea with " + other).to_numpy(dtype=object),
                      "to_dprk_possible": False}, index=enc.index),
        pd.DataFrame({"where": np.where(dark, "dark", "port (AIS off)"),
                      "place": np.where(dark, np.where(reach.notna(), "dark, could have reached " + reach,
                                                       "dark gap at sea"), "in port, AIS off"),
                      "to_dprk_possible": dark & kp}, index=gaps.index),
    ]
    src = [pv, enc, gaps]
    cols = ["event_id", "event_type", "mmsi", "imo", "vessel_name", "start_time", "end_time", "start_lat", "start_lon"]
    opp = pd.concat([pd.concat([s[cols].reset_index(drop=True), f.reset_index(drop=True)], axis=1)
                     for s, f in zip(src, frames, strict=True)], ignore_index=True)
    opp["country"] = _country_of(opp["place"], gaz)
    opp["t0"] = opp["start_time"].array.asi8
    opp["t1"] = opp["end_time"].array.asi8
    opp = opp.sort_values(["mmsi", "t0", "event_type", "event_id"], kind="stable").reset_index(drop=True)
    return opp[~_inside_port_visit(opp)].reset_index(drop=True)


def _inside_port_visit(opp: pd.DataFrame) -> np.ndarray:
    """Gaps and encounters wholly inside a port visit of the same ship (the visit stands for them)."""
    visits = opp.loc[opp["event_type"] == "port_visit", ["mmsi", "t0", "t1"]].rename(
        columns={"t0": "v0", "t1": "v1"}).sort_values("v0", kind="stable")
    left = opp[["mmsi", "t0", "t1"]].reset_index().sort_values("t0", kind="stable")
    m = pd.merge_asof(left, visits, left_on="t0", right_on="v0", by="mmsi", direction="backward")
    v1 = m["v1"].to_numpy(dtype=float)
    inside = (v1 > m["t0"].to_numpy()) & (v1 >= m["t1"].to_numpy())
    out = np.zeros(len(opp), dtype=bool)
    out[m["index"].to_numpy()] = inside
    return out & (opp["event_type"] != "port_visit").to_numpy()


def _draught_at(series: pd.DataFrame, mmsi: np.ndarray, t: np.ndarray) -> np.ndarray:
    """The last reported draught of each vessel at or before each time (NaN when none yet)."""
    left = pd.DataFrame({"mmsi": mmsi, "t": t}).reset_index().sort_values("t", kind="stable")
    m = pd.merge_asof(left, series, on="t", by="mmsi", direction="backward")
    out = np.full(len(left), np.nan)
    out[m["index"].to_numpy()] = m["draught"].to_numpy(dtype=float)
    return out


def draught_changes(positions: pd.DataFrame) -> pd.DataFrame:
    """Each vessel's reported draught where it changes (its first report with a draught, then each
    report whose draught differs from the previous one), in (mmsi, time) order: all a backward
    look-up needs, and small. Partitions of whole vessels give theirs separately (stages.Digest)."""
    d = positions["draught_m"].to_numpy(dtype=float, na_value=np.nan)
    mmsi = positions["mmsi"].to_numpy()
    has = np.flatnonzero(~np.isnan(d))
    keep = np.ones(len(has), dtype=bool)
    keep[1:] = (mmsi[has][1:] != mmsi[has][:-1]) | (d[has][1:] != d[has][:-1])
    rows = has[keep]
    return pd.DataFrame({"mmsi": mmsi[rows], "t": positions["timestamp"].array.asi8[rows], "draught": d[rows]})


def _estimate(change: np.ndarray, p: pd.DataFrame, barrels_per_tonne: float) -> dict[str, np.ndarray]:
    lo, mid, hi = tpc(p["length_m"].to_numpy(float), p["width_m"].to_numpy(float),
                      p["population"].to_numpy(dtype=object))
    a = np.abs(change) * 100.0
    t = {"tonnes_low": np.maximum(a - RESOLUTION_M * 100, 0.0) * lo, "tonnes_central": a * mid,
         "tonnes_high": (a + RESOLUTION_M * 100) * hi}
    return {**t, **_barrels(t, p["population"].to_numpy(dtype=object), barrels_per_tonne), "tpc_central_t_cm": mid}


def _barrels(t: dict[str, np.ndarray], population: np.ndarray, barrels_per_tonne: float) -> dict[str, np.ndarray]:
    """Barrels of the product for tankers' cargo; NaN for other ships (what a cargo ship carries is not oil)."""
    tanker = population == "tanker"
    return {k.replace("tonnes", "barrels"): np.where(tanker, v * barrels_per_tonne, np.nan) for k, v in t.items()}


def cargo_operations(changes: pd.DataFrame, opp: pd.DataFrame, particulars: pd.DataFrame,
                     product: str = "gasoil") -> pd.DataFrame:
    """Cargo operations (schema.CARGO, without trip columns): every chance to move cargo
    (:func:`opportunities`) across which the reported draught changed by at least
    :data:`MIN_CHANGE_M`, estimated from the ship's dimensions; plus capacity bounds
    (:func:`capacity_bounds`). ``changes``: :func:`draught_changes` of the positions."""
    series = changes.sort_values("t", kind="stable")
    opp = opp.copy()  # the caller's table stays as it was
    nxt = opp.groupby("mmsi", sort=False)["t0"].shift(-1).to_numpy(dtype=float)
    limit = np.fmin(opp["t1"].to_numpy() + SETTLE_H * 3.6e12, nxt)
    limit = np.maximum(limit, opp["t1"].to_numpy()).astype(np.int64)
    mm = opp["mmsi"].to_numpy()
    opp["draught_before_m"] = _draught_at(series, mm, opp["t0"].to_numpy())
    opp["draught_after_m"] = _draught_at(series, mm, limit)
    change = opp["draught_after_m"] - opp["draught_before_m"]
    p = particulars.set_index("mmsi").reindex(opp["mmsi"])
    estimable = p["dimensions_plausible"].fillna(False).to_numpy(dtype=bool) & p["length_m"].notna().to_numpy() \
        & p["width_m"].notna().to_numpy()
    ops = opp[(change.abs() >= MIN_CHANGE_M - 1e-6).to_numpy() & estimable].copy()
    p = p[(change.abs() >= MIN_CHANGE_M - 1e-6).to_numpy() & estimable]
    ops["draught_change_m"] = ops["draught_after_m"] - ops["draught_before_m"]
    ops["direction"] = np.where(ops["draught_change_m"] > 0, "load", "discharge")
    ops["basis"] = "draught"
    for k, v in _estimate(ops["draught_change_m"].to_numpy(), p, PRODUCTS[product].barrels_per_tonne).items():
        ops[k] = v
    ops = _with_particulars(ops, p)
    bounds = capacity_bounds(opp, ops, particulars, product)
    out = pd.concat([ops, bounds], ignore_index=True)
    out["product"] = product
    out["op_id"] = out["event_id"] + ":" + out["mmsi"].astype(str)
    return out.sort_values(["mmsi", "t0", "op_id"], kind="stable").reset_index(drop=True)


def _with_particulars(ops: pd.DataFrame, p: pd.DataFrame) -> pd.DataFrame:
    for c in ("length_m", "width_m", "population"):
        ops[c] = p[c].to_numpy()
    ops["vessel_type"] = p["vessel_type"].to_numpy()
    return ops


def capacity_bounds(opp: pd.DataFrame, ops: pd.DataFrame, particulars: pd.DataFrame, product: str) -> pd.DataFrame:
    """Capacity-based bounds for tankers at oil terminals whose draught is not maintained: deadweight
    from dimensions (LWL x B x T x Cb x 1.025 x deadweight share) x a fill factor, T the highest
    draught reported when it is plausible, else B / 2.7. Marked ``basis = 'capacity bound'``."""
    p = particulars.set_index("mmsi").reindex(opp["mmsi"])
    pick = ((opp["event_type"] == "port_visit").to_numpy() & _base_port(opp["place"]).isin(OIL_TERMINALS).to_numpy()
            & (p["population"] == "tanker").to_numpy() & ~p["draught_maintained"].fillna(False).to_numpy(dtype=bool)
            & p["dimensions_plausible"].fillna(False).to_numpy(dtype=bool) & p["length_m"].notna().to_numpy()
            & p["width_m"].notna().to_numpy() & ~opp["event_id"].isin(ops["event_id"]).to_numpy())
    b, p = opp[pick].copy(), p[pick]
    length, beam = p["length_m"].to_numpy(float), p["width_m"].to_numpy(float)
    draught = np.where(p["max_draught_m"].notna(), p["max_draught_m"].to_numpy(dtype=float), beam / 2.7)
    pop = p["population"].to_numpy(dtype=object)
    t = {}
    for k, name in enumerate(("tonnes_low", "tonnes_central", "tonnes_high")):
        disp = LWL_RATIO[k] * length * beam * draught * _rng(BLOCK_COEFF, pop, k) * SEAWATER_T_M3
        t[name] = disp * _rng(DWT_RATIO, pop, k) * FILL_FACTOR[k]
    for name, v in {**t, **_barrels(t, pop, PRODUCTS[product].barrels_per_tonne)}.items():
        b[name] = v
    b["draught_change_m"] = np.nan
    b["direction"] = "load"
    b["basis"] = "capacity bound"
    b["tpc_central_t_cm"] = np.nan
    return _with_particulars(b, p)


#: Columns :func:`trips` adds to the operations.
TRIP_COLUMNS = ("origin", "destination", "to_dprk", "sensitive_route", "trip_time", "counted")


def trips(ops: pd.DataFrame, opp: pd.DataFrame) -> pd.DataFrame:
    """``ops`` with each operation's trip: ``origin``, ``destination``, ``to_dprk``, ``sensitive_route``,
    ``trip_time`` and ``counted`` (the operation that carries its trip's figures in flows.csv).

    A discharge is a delivery from the ship's last loading place before it (origin "not seen
    loading" when none); a loading with no discharge reported before the next loading is a
    delivery to the ship's next likely-dark gap, else its next port visit elsewhere, else "not
    seen discharging". A discharge reported after a likely-dark gap that followed the loading (the
    crew updated the draught at the next port, or the ship discharged in the dark) is a delivery to
    "PORT after a dark gap (could have reached ...)": the cargo may have gone where the dark gap
    could reach, and counts towards North Korea when a North Korean port was in reach."""
    ops = ops.reset_index(drop=True)
    is_load = (ops["direction"] == "load").to_numpy()
    trip_no = pd.Series(is_load.astype(int)).groupby(ops["mmsi"].to_numpy()).cumsum().to_numpy()
    key = [ops["mmsi"].to_numpy(), trip_no]
    loads = ops[["place", "country", "start_lon", "t1"]].reset_index(drop=True)
    loads = loads.where(np.broadcast_to(is_load[:, None], loads.shape))
    first_load = loads.groupby(key).transform("first")  # the trip's loading (none for trip 0)
    load_place, load_country, load_lon = first_load["place"], first_load["country"], first_load["start_lon"]
    dark = _dark_between(ops, opp, first_load["t1"].to_numpy(dtype=float), is_load)
    has_discharge = pd.Series(~is_load).groupby(key).transform("any").to_numpy(dtype=bool)
    ops["origin"] = np.where(is_load, ops["place"], load_place.fillna("not seen loading").to_numpy())
    origin_country = np.where(is_load, ops["country"], load_country.to_numpy())
    origin_lon = np.where(is_load, ops["start_lon"], load_lon.to_numpy())
    nxt = _next_destination(ops, opp)
    via_dark = ~is_load & (ops["where"] != "dark").to_numpy() & dark["place"].notna().to_numpy()
    ops["destination"] = np.where(is_load, nxt["destination"], np.where(
        via_dark, ops["place"] + " after a " + dark["place"].fillna("").str.replace("dark, ", "dark gap (") + ")",
        ops["place"]))
    dest_country = np.where(is_load, nxt["country"], ops["country"])
    dark_kp = np.where(is_load, nxt["to_dprk_possible"], ops["to_dprk_possible"] | (via_dark & dark["kp"])).astype(bool)
    ops["counted"] = ~is_load | ~has_discharge
    ops["trip_time"] = pd.to_datetime(np.where(is_load & nxt["t0"].notna().to_numpy(), nxt["t0"].to_numpy(dtype=float),
                                               np.where(is_load, ops["t1"], ops["t0"])).astype(np.int64), utc=True)
    far_east = (origin_country == "RU") & (np.asarray(origin_lon, dtype=float) >= FAR_EAST_MIN_LON)
    dest_is_sts = pd.Series(ops["destination"]).astype(str).str.startswith("STS at sea").to_numpy()
    ops["to_dprk"] = (dest_country == "KP") | dark_kp
    ops["sensitive_route"] = (far_east & (ops["to_dprk"].to_numpy() | dest_is_sts)) | (
        (origin_country == "KP") & (dest_country == "RU"))
    return ops


def _dark_between(ops: pd.DataFrame, opp: pd.DataFrame, load_end: np.ndarray, is_load: np.ndarray) -> pd.DataFrame:
    """For each discharge: the first likely-dark gap of its ship between its trip's loading and the
    discharge (``place`` and ``kp``, North Korea in reach; missing when none or no loading)."""
    gaps = opp.loc[opp["where"] == "dark", ["mmsi", "t0", "place", "to_dprk_possible"]].rename(
        columns={"t0": "g0", "place": "gplace", "to_dprk_possible": "gkp"}).sort_values("g0", kind="stable")
    ask = ~is_load & ~np.isnan(load_end)
    left = pd.DataFrame({"mmsi": ops["mmsi"].to_numpy()[ask], "tq": load_end[ask].astype(np.int64),
                         "until": ops["t0"].to_numpy()[ask], "row": np.flatnonzero(ask)}).sort_values("tq")
    m = pd.merge_asof(left, gaps, left_on="tq", right_on="g0", by="mmsi", direction="forward")
    ok = m["g0"].notna().to_numpy() & (m["g0"].to_numpy(dtype=float) < m["until"].to_numpy())
    out = pd.DataFrame({"place": pd.Series([None] * len(ops), dtype=object), "kp": np.zeros(len(ops), dtype=bool)})
    rows = m["row"].to_numpy()[ok]
    out.loc[rows, "place"] = m["gplace"].to_numpy()[ok]
    out.loc[rows, "kp"] = m["gkp"].to_numpy(dtype=bool)[ok]
    return out


def _next_destination(ops: pd.DataFrame, opp: pd.DataFrame) -> pd.DataFrame:
    """For each operation: the ship's next likely-dark gap after it, else its next port visit
    elsewhere (before its next loading), as destination text, country and time."""
    is_load = (ops["direction"] == "load").to_numpy()
    load_t = ops.loc[is_load, ["mmsi", "t0"]].rename(columns={"t0": "next_load"})
    left = ops[["mmsi", "t1", "place"]].reset_index().sort_values("t1", kind="stable")
    nl = pd.merge_asof(left.assign(tq=left["t1"] + 1), load_t.sort_values("next_load"), left_on="tq",
                       right_on="next_load", by="mmsi", direction="forward")
    out = pd.DataFrame(index=ops.index, columns=["destination", "country", "to_dprk_possible", "t0"], dtype=object)
    out["to_dprk_possible"] = False
    out["t0"] = np.nan
    out["destination"] = "not seen discharging"
    for kind in ("dark", "port"):  # two passes: a dark gap first, else a port visit
        cand = opp[(opp["where"] == "dark") if kind == "dark" else (opp["event_type"] == "port_visit")]
        right = cand[["mmsi", "t0", "place", "country", "to_dprk_possible"]].rename(
            columns={"t0": "c0", "place": "cplace", "country": "ccountry", "to_dprk_possible": "ckp"})
        m = pd.merge_asof(nl.sort_values("tq", kind="stable"), right.sort_values("c0"), left_on="tq", right_on="c0",
                          by="mmsi", direction="forward")
        if kind == "port":  # a later visit to the same port is not a destination
            m = m.where(m["cplace"] != m["place"])
            m["index"] = nl.sort_values("tq", kind="stable")["index"].to_numpy()
        ok = m["c0"].notna().to_numpy() & (m["next_load"].isna() | (m["c0"] < m["next_load"])).to_numpy()
        idx = m["index"].to_numpy()[ok]
        free = out.loc[idx, "t0"].isna().to_numpy()
        idx, mk = idx[free], m[ok][free]
        out.loc[idx, "destination"] = (mk["cplace"].astype(str) + " (discharge not reported)").to_numpy()
        out.loc[idx, "country"] = mk["ccountry"].to_numpy()
        out.loc[idx, "to_dprk_possible"] = mk["ckp"].to_numpy(dtype=bool)
        out.loc[idx, "t0"] = mk["c0"].to_numpy(dtype=float)
    out["t0"] = out["t0"].astype(float)
    return out


def flows(ops: pd.DataFrame) -> pd.DataFrame:
    """Trips summed per month, route and basis (schema.FLOWS); sensitive routes first."""
    c = ops[ops["counted"].to_numpy(dtype=bool)]
    if c.empty:
        return schema.empty(schema.FLOWS)
    month = c["trip_time"].dt.strftime("%Y-%m")
    g = c.assign(month=month).groupby(["month", "origin", "destination", "basis"], sort=True)
    nums = ["tonnes_low", "tonnes_central", "tonnes_high", "barrels_low", "barrels_central", "barrels_high"]
    out = g[nums].sum(min_count=1)
    out["trips"] = g.size()
    out["vessels"] = g["mmsi"].nunique()
    out["sensitive_route"] = g["sensitive_route"].any()
    out["to_dprk"] = g["to_dprk"].any()
    out["product"] = g["product"].first()
    out = out.reset_index()
    out = out.sort_values(["sensitive_route", "month", "origin", "destination", "basis"],
                          ascending=[False, True, True, True, True], kind="stable")
    return schema.conform(out, schema.FLOWS)


def load_caps() -> pd.DataFrame:
    """The shipped caps table (data/caps.csv)."""
    with files("vesseltrack").joinpath("data/caps.csv").open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def _sig(x: float, digits: int = 3) -> float:
    """``x`` to ``digits`` significant figures, for text: the estimates are not better than that."""
    return float(f"{x:.{digits}g}") if x else 0.0


def cap_status(ops: pd.DataFrame, product: str, years: list[int], data_end: pd.Timestamp | None = None) -> list[dict]:
    """Per cap applying to ``product`` and per year (each year of the data, and of any trip): tanker
    trips delivered (or possibly delivered, through a likely-dark gap with a North Korean port in
    reach) to North Korea, the estimated barrels (low-high) and their share of the cap; capacity
    bounds apart. An STS at sea is not counted (where the partner took the cargo is another trip)."""
    caps = load_caps()
    caps = caps[caps["cap_class"] == PRODUCTS[product].cap_class]
    c = ops[ops["counted"].to_numpy(dtype=bool) & ops["to_dprk"].to_numpy(dtype=bool)
            & (ops["population"] == "tanker").to_numpy()]
    trip_years = c["trip_time"].dt.year.to_numpy()
    out = []
    for cap in caps.to_dict("records"):
        for year in sorted(set(years) | set(trip_years.tolist())):
            in_year = trip_years == year
            so_far = data_end is not None and data_end < pd.Timestamp(f"{year + 1}-01-01", tz="UTC")
            out.append(_cap_year(cap, int(year), c[in_year & (c["basis"] == "draught").to_numpy()],
                                 c[in_year & (c["basis"] == "capacity bound").to_numpy()], product, so_far))
    return out


def _cap_year(cap: dict, year: int, measured: pd.DataFrame, bounds: pd.DataFrame, product: str,
              so_far: bool) -> dict:
    """One cap and year: figures and the line people read ("3 trips, 307,000-381,000 bbl, 61-76% of
    the 2024 cap so far")."""
    lo, mid, hi = (float(measured[f"barrels_{k}"].sum()) for k in ("low", "central", "high"))
    cap_bbl = float(cap["barrels_per_year"])
    n, nb = len(measured), len(bounds)
    bound_hi = float(bounds["barrels_high"].sum())
    line = (f"{n} trip{'' if n == 1 else 's'}, {_sig(lo):,.0f}-{_sig(hi):,.0f} bbl, "
            f"{100 * lo / cap_bbl:.0f}-{100 * hi / cap_bbl:.0f}% of the {year} cap{' so far' if so_far else ''}")
    if nb:
        line += (f"; plus {nb} tanker call{'' if nb == 1 else 's'} at oil terminals with no draught change: "
                 f"up to {_sig(bound_hi):,.0f} bbl by capacity")
    return {"cap": cap["cap_id"], "year": year, "cap_barrels": cap_bbl, "authority": cap["authority"],
            "product": product, "trips": n, "barrels_low": round(lo), "barrels_central": round(mid),
            "barrels_high": round(hi), "share_low": round(lo / cap_bbl, 4), "share_high": round(hi / cap_bbl, 4),
            "capacity_bound_trips": nb, "capacity_bound_barrels_high": round(bound_hi), "so_far": so_far,
            "text": line}


def parameters(product: str) -> dict:
    """The method and every coefficient of the estimates, for summary.json."""
    p = PRODUCTS[product]
    return {
        "method": "tonnes = |draught change| x TPC, TPC = Cwp x LWL x B x 1.025 t/m3 / 100, Cwp = (1 + 2 Cb) / 3; "
                  "capacity bound = LWL x B x T x Cb x 1.025 x deadweight share x fill factor",
        "min_change_m": MIN_CHANGE_M, "resolution_m": RESOLUTION_M, "settle_h": SETTLE_H,
        "block_coefficient": {k: list(v) for k, v in BLOCK_COEFF.items()}, "lwl_ratio": list(LWL_RATIO),
        "deadweight_share": {k: list(v) for k, v in DWT_RATIO.items()}, "fill_factor": list(FILL_FACTOR),
        "oil_terminals": list(OIL_TERMINALS), "product": p.name, "barrels_per_tonne": p.barrels_per_tonne,
    }


def analyse_cargo(positions: pd.DataFrame, events: pd.DataFrame, gaz: Gazetteer,
                  product: str = "gasoil") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[dict]]:
    """Particulars, cargo operations with their trips, flows and cap status, from a detection's
    positions (sorted by track) and events."""
    ts = positions["timestamp"]
    return estimate(vessel_particulars(positions), draught_changes(positions), events, gaz, product,
                    years=sorted(int(y) for y in ts.dt.year.unique()) if len(positions) else [],
                    data_end=ts.max() if len(positions) else None)


def estimate(particulars: pd.DataFrame, changes: pd.DataFrame, events: pd.DataFrame, gaz: Gazetteer,
             product: str = "gasoil", *, years: list[int], data_end: pd.Timestamp | None
             ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[dict]]:
    """:func:`analyse_cargo` from what it needs of the positions: the fleet's particulars
    (:func:`vessel_particulars`), draught changes (:func:`draught_changes`), the years of the data
    and its last time; what an engine that never holds every position gathers (stages.Digest)."""
    chances = events["event_type"].isin(("port_visit", "encounter", "gap")).to_numpy()
    if chances.any():
        opp = opportunities(events[chances], gaz)
        ops = cargo_operations(changes, opp, particulars, product)
        ops = trips(ops, opp) if len(ops) else ops.assign(**{c: pd.Series(dtype=object) for c in TRIP_COLUMNS})
        nums = [c for c in ops.columns if c.startswith(("tonnes_", "barrels_"))]
        ops[nums] = ops[nums].round(0)  # whole tonnes and barrels: the estimates are not better than that
        ops["tpc_central_t_cm"] = ops["tpc_central_t_cm"].round(2)
        ops = schema.conform(ops, schema.CARGO)
    else:  # no chance to move cargo in the data
        ops = schema.empty(schema.CARGO)
    status = cap_status(ops, product, years, data_end)
    return particulars, ops, flows(ops), status
