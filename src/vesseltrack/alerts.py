"""Alert policy: which scored voyages and events an analyst should read first, ranked.

Voyages are the primary subjects: a voyage enters the alert list when its score is at least
``min_score``, and its gaps and port visits are then told in its reasons rather than listed again.
An event enters on its own when its score is at least ``min_score`` and its voyage did not (an
event can stand out where its voyage as a whole does not); a gap only when it is ``likely_dark``
(a silence local reception does not explain) or when cargo moved across it at sea (a draught change
of at least ``CARGO_DRAUGHT_M`` between the last report before and the first after a gap that is not
in port: the ship loaded or discharged while unseen, where there is no port to do it). Tanker
voyages that start or end at a sensitive port always enter (with whatever score they have), because
that is the case the users
care most about; so do ``likely_dark`` gaps whose voyage is not listed (a silence that local
reception does not explain, at sea, with time for a detour, is worth a human look whatever the
forest thinks of the rest of the voyage). A listed voyage's alert is as suspicious as its worst
part: when one of its events that could stand on its own (such as a scored ``likely_dark`` gap) scores
higher than the voyage, the voyage's alert takes that event's score and leads with its reasons (the
gap forest, which sees reception, draught and reach at the gap itself, can tell a dark run from a
natural outage better than the voyage forest). So each vessel's best alert reflects its worst
event, whether or not its voyage was listed. The list is ranked by score (highest first; ties by
time, vessel and id, so the order is deterministic) and cut to ``top`` rows (the forced tanker rows
are kept beyond it).

Two filters keep the list about what the users came for:

- **Findings, not forest noise.** A voyage is listed only when it carries at least one detector
  finding (:func:`voyage_findings`: a ship-to-ship candidate, a merchant ship stopped at sea with
  no partner in sight, spoofing, a shared MMSI, likely-dark hours or a sensitive port call; slow
  hours alone are not one: ships drift and wait off ports). On real traffic a voyage that stands out to the
  forest alone is nearly always a short or truncated track ("voyage of 0 h"), which no analyst can act on;
  its score stays in voyages.csv.
- **The population.** By default only merchant ships (``features.MERCHANT``: cargo, tankers and
  untyped class A ships of seagoing size) are ranked; pleasure craft, harbour craft, high-speed
  craft, passenger ships, fishing and SAR keep their events in events.csv and their voyages in
  voyages.csv, and ``all_vessels`` (``--all-vessels``) ranks everyone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.config import DEFAULT_MIN_SCORE, DEFAULT_TOP  # (defined with Config: the CLI reads them)
from vesseltrack.features import MERCHANT

#: A draught change across a gap at sea of at least this much (m) is cargo moved while unseen: a
#: loading or discharge changes a ship's draught by metres, whereas the fuel and stores it burns over
#: a few days, and small corrections of the entered value, change it by centimetres.
CARGO_DRAUGHT_M = 1.0

#: Event types that may be alerts on their own.
ALERT_EVENT_TYPES = ("gap", "port_visit", "encounter", "loitering", "spoofing", "identity_clash")


#: Voyage features that are detector findings: a voyage needs one of them to be listed.
FINDING_FEATURES = ("encounter_hours", "dark_sts_hours", "spoofing_events", "identity_clash",
                    "likely_dark_hours", "sensitive_port_calls")


def voyage_findings(voyages: pd.DataFrame) -> np.ndarray:
    """Per voyage: it carries at least one detector finding (:data:`FINDING_FEATURES` above 0, or a
    strong watchlist match)."""
    out = np.zeros(len(voyages), dtype=bool)
    for c in FINDING_FEATURES:
        out |= voyages[c].to_numpy(dtype=float, na_value=0.0) > 0
    if "watchlist_match" in voyages:  # a strong watchlist match (pipeline._apply_watchlist)
        out |= voyages["watchlist_match"].notna().to_numpy()
    return out


def select_alerts(voyages: pd.DataFrame, events: pd.DataFrame, *, min_score: float = DEFAULT_MIN_SCORE,
                  top: int = DEFAULT_TOP, all_vessels: bool = False) -> pd.DataFrame:
    if not all_vessels:
        merchant = voyages["population"].isin(MERCHANT)
        ev_merchant = events["voyage_id"].map(pd.Series(merchant.to_numpy(), index=voyages["voyage_id"].to_numpy()))
        events = events[ev_merchant.fillna(False).to_numpy(dtype=bool)]
        voyages = voyages[merchant.to_numpy()]
    voyages = voyages[
        voyage_findings(voyages) | ((voyages["is_tanker"] == 1) & (voyages["sensitive_port_calls"] > 0)).to_numpy()
    ]
    v = pd.DataFrame({
        "score": voyages["score"], "subject": "voyage", "mmsi": voyages["mmsi"], "imo": voyages["imo"],
        "vessel_name": voyages["vessel_name"], "vessel_type": voyages["vessel_type"],
        "start_time": voyages["start_time"], "end_time": voyages["end_time"], "ports": voyages["ports"],
        "reasons": voyages["reasons"], "ref_id": voyages["voyage_id"],
        "forced": (voyages["is_tanker"] == 1) & (voyages["sensitive_port_calls"] > 0),
    })
    # a gap stands on its own only when local reception cannot explain it (likely_dark) or cargo moved across it at sea
    own = events["event_type"].isin(ALERT_EVENT_TYPES).to_numpy() & (
        (events["event_type"] != "gap").to_numpy() | events["likely_dark"].fillna(False).to_numpy(dtype=bool)
        | cargo_moved_at_sea(events))
    e = events[own]
    e = pd.DataFrame({
        "score": e["score"], "subject": e["event_type"], "mmsi": e["mmsi"], "imo": e["imo"],
        "vessel_name": e["vessel_name"], "vessel_type": e["vessel_type"],
        "start_time": e["start_time"], "end_time": e["end_time"], "ports": e["port"],
        "reasons": e["reasons"], "ref_id": e["event_id"],
        "forced": e["likely_dark"].fillna(False).to_numpy(dtype=bool),
    })
    listed = (voyages["score"] >= min_score).to_numpy() | v["forced"].to_numpy()
    listed_voyages = set(voyages.loc[listed, "voyage_id"])
    v = _raise_to_worst_event(v, e.assign(voyage_id=events.loc[e.index, "voyage_id"]), listed)
    e = e[~events.loc[e.index, "voyage_id"].isin(listed_voyages).to_numpy()]
    allrows = pd.concat([v, e], ignore_index=True)
    scored = allrows["score"].notna()
    allrows = allrows[scored | allrows["forced"]]
    allrows = allrows.sort_values(["score", "start_time", "mmsi", "ref_id"], ascending=[False, True, True, True],
                                  kind="stable", na_position="last")
    passes = (allrows["score"] >= min_score).to_numpy()
    rank_pass = np.cumsum(passes)
    keep = (passes & (rank_pass <= top)) | allrows["forced"].to_numpy()
    out = allrows[keep].drop(columns="forced").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1, dtype=np.int64))
    out["score"] = out["score"].fillna(0.0)
    return schema.conform(out, schema.ALERTS)


def cargo_moved_at_sea(events: pd.DataFrame) -> np.ndarray:
    """Per event: a gap not in port across which the reported draught changed by at least
    ``CARGO_DRAUGHT_M`` (False for other events and where either draught is missing)."""
    change = np.abs(events["draught_after_m"].to_numpy(dtype=float, na_value=np.nan)
                    - events["draught_before_m"].to_numpy(dtype=float, na_value=np.nan))
    at_sea = events["context"].fillna("at sea").to_numpy(dtype=object) == "at sea"
    return ((events["event_type"] == "gap").to_numpy() & ~events["in_port"].fillna(False).to_numpy(dtype=bool)
            & at_sea & (np.nan_to_num(change) >= CARGO_DRAUGHT_M))


def _raise_to_worst_event(v: pd.DataFrame, e: pd.DataFrame, listed: np.ndarray) -> pd.DataFrame:
    """Listed voyage alerts ``v`` take the score of their highest-scoring event in ``e`` (rows that
    could stand on their own, with ``voyage_id``) when it beats theirs, and lead with its reasons."""
    scored = e[e["score"].notna().to_numpy() & e["voyage_id"].notna().to_numpy()]
    if scored.empty:
        return v
    worst = scored.sort_values(["score", "start_time", "ref_id"], ascending=[False, True, True], kind="stable")
    worst = worst.drop_duplicates("voyage_id").set_index("voyage_id")
    ev_score = v["ref_id"].map(worst["score"]).to_numpy(dtype=float)
    ev_reasons = v["ref_id"].map(worst["reasons"]).to_numpy(dtype=object)
    own = v["score"].to_numpy(dtype=float)
    up = listed & ~np.isnan(ev_score) & (np.isnan(own) | (ev_score > np.nan_to_num(own, nan=-np.inf)))
    if not up.any():
        return v
    v = v.copy()
    v.loc[up, "score"] = ev_score[up]
    old = v.loc[up, "reasons"].fillna("").to_numpy(dtype=object)
    lead = pd.Series(ev_reasons[up], dtype=object).fillna("").to_numpy(dtype=object)
    v.loc[up, "reasons"] = np.where(old == "", lead, np.where(lead == "", old, lead + "; " + old))
    return v
