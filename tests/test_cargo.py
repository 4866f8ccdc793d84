"""Cargo estimates (cargo.py): particulars, operations, trips, flows and caps, on hand-made tracks and events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import make_positions
from vesseltrack import cargo, schema
from vesseltrack.products import PRODUCTS

T0 = pd.Timestamp("2024-03-01T00:00", tz="UTC")
TANKER = dict(vessel_type=80, length_m=100.0, width_m=16.0, ais_class="A", vessel_name="OIL ONE", imo=9358010)


def hours(h: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=h)


def reports(mmsi: int, draughts: list[tuple[float, float]], **static) -> list[dict]:
    """One report per (hour, draught), at a fixed spot (cargo reads only times, draughts and static data)."""
    return [dict(mmsi=mmsi, t=str(hours(h)), lat=42.7, lon=133.0, draught_m=d, **static) for h, d in draughts]


def events(*rows: dict) -> pd.DataFrame:
    base = dict(event_type="port_visit", start_lat=42.745, start_lon=133.075, duration_h=1.0)
    recs = []
    for i, r in enumerate(rows):
        rec = {**base, **r}
        rec.setdefault("event_id", f"E{i}")
        rec["start_time"], rec["end_time"] = hours(rec.pop("h0")), hours(rec.pop("h1"))
        recs.append(rec)
    return schema.conform(pd.DataFrame(recs), schema.EVENTS, fill_missing=True)


def visit(mmsi: int, port: str, h0: float, h1: float, context: str = "port") -> dict:
    return dict(event_type="port_visit", mmsi=mmsi, port=port, context=context, h0=h0, h1=h1)


def gap(mmsi: int, h0: float, h1: float, *, dark: bool = True,
        reach: str | None = "VOSTOCHNY 50 h; SONBONG 45 h; RAJIN 44 h; CHONGJIN 40 h", lat: float = 41.9,
        lon: float = 131.5) -> dict:
    """A gap off Rajin, both ends at (lat, lon), with the ports detect/reach.py would list."""
    return dict(event_type="gap", mmsi=mmsi, h0=h0, h1=h1, duration_h=h1 - h0, is_closed=True, likely_dark=dark,
                in_port=False, reachable_ports=reach, start_lat=lat, start_lon=lon, end_lat=lat, end_lon=lon,
                typical_speed_kn=12.0)


def tpc_central(length: float, beam: float, cb: float) -> float:
    return (1 + 2 * cb) / 3 * 0.95 * length * beam * 1.025 / 100


def run(pos_rows: list[dict], ev: pd.DataFrame, gaz, product: str = "gasoil"):
    return cargo.analyse_cargo(make_positions(pos_rows), ev, gaz, product)


def dark_delivery(gaz):
    """A tanker loads 4 m at Vostochny (the crew updates at sea 6 h later), goes dark with North
    Korean ports in reach and comes back 4 m lighter."""
    pos = reports(273000001, [(0, 4.0), (6, 4.0), (12, 4.0), (18, 8.0), (20, 8.0), (80, 4.0), (90, 4.0)], **TANKER)
    ev = events(visit(273000001, "VOSTOCHNY", 0, 12), gap(273000001, 20, 80))
    return run(pos, ev, gaz)


def test_dark_delivery_from_vostochny_is_a_sensitive_trip_counted_once(gaz):
    _, ops, flows, caps = dark_delivery(gaz)
    assert list(ops["direction"]) == ["load", "discharge"]
    assert list(ops["where"]) == ["port", "dark"]
    assert ops["draught_change_m"].tolist() == [4.0, -4.0]  # the late update (6 h after leaving) counts for the visit
    central = 400 * tpc_central(100, 16, 0.79)
    assert ops["tonnes_central"].tolist() == [round(central)] * 2
    assert ops["barrels_central"].tolist() == [round(central * PRODUCTS["gasoil"].barrels_per_tonne)] * 2
    assert ops["counted"].tolist() == [False, True]  # the delivery carries the trip
    d = ops.iloc[1]
    # North Korean ports in reach are named (not the gap's own top three, Russian terminals beside it)
    assert (d["origin"], d["destination"]) == ("VOSTOCHNY", "dark, could have reached CHONGJIN, RAJIN, SONBONG")
    assert d["to_dprk"] and d["sensitive_route"]
    assert len(flows) == 1 and flows["trips"].tolist() == [1] and flows["sensitive_route"].all()
    refined = [c for c in caps if c["cap"] == "dprk_refined"]
    assert len(refined) == 1 and refined[0]["trips"] == 1
    lo, hi = ops.iloc[1][["barrels_low", "barrels_high"]]
    assert refined[0]["text"] == (f"1 trip, {float(f'{lo:.3g}'):,.0f}-{float(f'{hi:.3g}'):,.0f} bbl, "
                                  f"{100 * lo / 500000:.0f}-{100 * hi / 500000:.0f}% of the 2024 cap so far")
    assert refined[0]["barrels_low"] == lo and refined[0]["barrels_high"] == hi  # the figures themselves unrounded
    assert not any(c["cap"] == "dprk_crude" for c in caps)  # gasoil counts against the refined cap only


def test_outputs_match_their_specs(gaz):
    vessels, ops, flows, _ = dark_delivery(gaz)
    schema.validate(vessels, schema.PARTICULARS, name="vessels")
    schema.validate(ops, schema.CARGO, name="cargo")
    schema.validate(flows, schema.FLOWS, name="flows")


def test_range_holds_the_draught_resolution_and_coefficients(gaz):
    _, ops, _, _ = dark_delivery(gaz)
    r = ops.iloc[0]
    lo_tpc = (1 + 2 * 0.72) / 3 * 0.92 * 100 * 16 * 1.025 / 100
    hi_tpc = (1 + 2 * 0.85) / 3 * 0.98 * 100 * 16 * 1.025 / 100
    assert r["tonnes_low"] == round(390 * lo_tpc)
    assert r["tonnes_high"] == round(410 * hi_tpc)


def test_a_dark_gap_with_no_north_korean_port_in_reach_is_not_a_delivery_there(gaz):
    pos = reports(273000001, [(0, 4.0), (12, 8.0), (20, 8.0), (28, 4.0)], **TANKER)
    far = gap(273000001, 20, 28, lat=36.0, lon=136.0, reach=None)  # off Japan, 8 h: no North Korean port in reach
    _, ops, _, caps = run(pos, events(visit(273000001, "VOSTOCHNY", 0, 12), far), gaz)
    assert ops["destination"].tolist()[-1] == "dark gap at sea" and not ops["to_dprk"].any()
    assert all(c["trips"] == 0 for c in caps)


def test_a_discharge_reported_at_the_next_port_after_a_dark_gap_may_have_gone_north(gaz):
    pos = reports(273000001, [(0, 4.0), (12, 8.0), (20, 8.0), (90, 8.0), (100, 4.0)], **TANKER)
    ev = events(visit(273000001, "VOSTOCHNY", 0, 12), gap(273000001, 20, 80), visit(273000001, "BUSAN", 90, 100))
    _, ops, _, _ = run(pos, ev, gaz)
    d = ops[ops["direction"] == "discharge"].iloc[0]
    assert d["place"] == "BUSAN" and d["to_dprk"] and d["sensitive_route"]
    assert d["destination"] == "BUSAN after a dark gap (could have reached CHONGJIN, RAJIN, SONBONG)"


def test_update_after_the_next_event_starts_is_not_the_visits(gaz):
    """A crew that updates only once the ship is already dark: the change belongs to the gap."""
    pos = reports(273000001, [(0, 4.0), (12, 4.0), (25, 4.0), (80, 8.0)], **TANKER)
    ev = events(visit(273000001, "VOSTOCHNY", 0, 12), gap(273000001, 25, 80))
    _, ops, _, _ = run(pos, ev, gaz)
    assert ops["where"].tolist() == ["dark"] and ops["direction"].tolist() == ["load"]


def test_small_changes_are_trim_not_cargo(gaz):
    pos = reports(273000001, [(0, 4.0), (12, 4.2), (20, 4.2)], **TANKER)
    _, ops, flows, _ = run(pos, events(visit(273000001, "BUSAN", 0, 12)), gaz)
    assert ops.empty and flows.empty


def test_never_changed_draught_gets_a_note_and_a_capacity_bound_at_an_oil_terminal(gaz):
    pos = reports(273000002, [(0, 6.0), (12, 6.0), (20, 6.0), (80, 6.0)], **{**TANKER, "imo": None})
    ev = events(visit(273000002, "VOSTOCHNY", 0, 12), gap(273000002, 20, 80))
    vessels, ops, flows, caps = run(pos, ev, gaz)
    assert vessels["cargo_note"].iloc[0] == cargo.NO_ESTIMATE["never_changed"]
    assert not vessels["draught_maintained"].iloc[0]
    assert ops["basis"].tolist() == ["capacity bound"] and ops["draught_change_m"].isna().all()
    disp = 0.95 * 100 * 16 * 6.0 * 0.79 * 1.025
    assert ops["tonnes_central"].iloc[0] == round(disp * 0.78 * 0.90)
    assert ops["destination"].iloc[0] == "dark, could have reached CHONGJIN, RAJIN, SONBONG (discharge not reported)"
    assert flows["basis"].tolist() == ["capacity bound"]
    (refined,) = [c for c in caps if c["cap"] == "dprk_refined"]
    assert refined["trips"] == 0 and refined["capacity_bound_trips"] == 1
    assert "by capacity" in refined["text"]


def test_cargo_ships_get_tonnes_but_no_barrels(gaz):
    ship = dict(TANKER, vessel_type=70, vessel_name="BOX")
    pos = reports(273000003, [(0, 4.0), (12, 6.0), (20, 6.0), (30, 6.0), (40, 4.0)], **ship)
    ev = events(visit(273000003, "RAJIN", 0, 12), visit(273000003, "VLADIVOSTOK", 30, 40))
    _, ops, flows, caps = run(pos, ev, gaz)
    assert ops["tonnes_central"].gt(0).all() and ops["barrels_central"].isna().all()
    assert flows["barrels_central"].isna().all() and flows["sensitive_route"].all()  # North Korea -> Russia
    assert all(c["trips"] == 0 for c in caps)  # a cargo ship's load is not oil


def test_gap_inside_a_port_visit_is_the_visits(gaz):
    pos = reports(273000001, [(0, 4.0), (5, 4.0), (15, 8.0), (20, 8.0)], **TANKER)
    ev = events(visit(273000001, "VOSTOCHNY", 0, 20), gap(273000001, 5, 15, dark=False))
    _, ops, _, _ = run(pos, ev, gaz)
    assert ops["event_type"].tolist() == ["port_visit"]


def test_sts_counts_for_both_ships(gaz):
    other = dict(TANKER, vessel_name="TWO", imo=None)
    pos = reports(273000001, [(0, 8.0), (10, 4.0)], **TANKER) + reports(273000004, [(0, 4.0), (10, 8.0)], **other)
    ev = events(dict(event_type="encounter", mmsi=273000001, other_mmsi=273000004, h0=1, h1=6, sts_candidate=True,
                     other_vessel_name="TWO", vessel_name="OIL ONE"))
    _, ops, _, _ = run(pos, ev, gaz)
    assert ops.set_index("mmsi")["direction"].to_dict() == {273000001: "discharge", 273000004: "load"}
    assert ops.set_index("mmsi")["place"].to_dict() == {273000001: "STS at sea with TWO",
                                                        273000004: "STS at sea with OIL ONE"}


def test_empty_input_gives_empty_tables(gaz):
    vessels, ops, flows, caps = cargo.analyse_cargo(schema.empty(schema.POSITIONS), schema.empty(schema.EVENTS), gaz)
    assert vessels.empty and ops.empty and flows.empty and caps == []
    schema.validate(ops, schema.CARGO)


def test_implausible_dimensions_get_no_estimate(gaz):
    pos = reports(273000005, [(0, 4.0), (12, 8.0)], **dict(TANKER, width_m=90.0))
    vessels, ops, _, _ = run(pos, events(visit(273000005, "BUSAN", 0, 12)), gaz)
    assert vessels["cargo_note"].iloc[0] == cargo.NO_ESTIMATE["implausible"] and ops.empty


def test_product_sets_barrels_and_cap(gaz):
    pos = reports(273000001, [(0, 4.0), (12, 4.0), (18, 8.0), (20, 8.0), (80, 4.0)], **TANKER)
    ev = events(visit(273000001, "KOZMINO", 0, 12), gap(273000001, 20, 80))
    _, ops, _, caps = run(pos, ev, gaz, product="crude")
    assert ops["barrels_central"].iloc[0] == round(400 * tpc_central(100, 16, 0.79) * 7.33)
    assert [c["cap"] for c in caps] == ["dprk_crude"]


def test_caps_table_is_cited():
    caps = cargo.load_caps()
    assert set(caps["cap_id"]) == {"dprk_refined", "dprk_crude"}
    assert caps.set_index("cap_id")["barrels_per_year"].to_dict() == {"dprk_refined": 500000, "dprk_crude": 4000000}
    assert caps["authority"].str.contains("2397").all()


@settings(max_examples=60, deadline=None)
@given(length=st.floats(20, 400), ratio=st.floats(0.1, 0.25), change=st.floats(0.3, 10),
       pop=st.sampled_from(["tanker", "cargo", "fishing"]))
def test_low_central_high_are_ordered_and_scale_with_the_change(length, ratio, change, pop):
    p = pd.DataFrame({"length_m": [length], "width_m": [length * ratio], "population": [pop]})
    one = cargo._estimate(np.array([change]), p, 7.45)
    two = cargo._estimate(np.array([-2 * change]), p, 7.45)
    assert one["tonnes_low"][0] <= one["tonnes_central"][0] <= one["tonnes_high"][0]
    assert two["tonnes_central"][0] == pytest.approx(2 * one["tonnes_central"][0])
    assert np.isnan(one["barrels_central"][0]) == (pop != "tanker")


def test_learnt_berths_are_their_ports(gaz):
    """A call at a learnt berth named after its port is a call at that port (country, oil terminal)."""
    pos = reports(273000002, [(0, 6.0), (12, 6.0), (20, 6.0), (80, 6.0)], **TANKER)
    ev = events(visit(273000002, "VOSTOCHNY (berth 2)", 0, 12, context="berth"), gap(273000002, 20, 80))
    _, ops, _, _ = run(pos, ev, gaz)
    assert ops["basis"].tolist() == ["capacity bound"] and ops["country"].tolist() == ["RU"]
    assert ops["sensitive_route"].all()


def test_particulars_take_the_last_identity_and_the_largest_dimensions(gaz):
    rows = reports(273000006, [(0, 4.0)], **dict(TANKER, vessel_name="OLD NAME", imo=9358010))
    rows += reports(273000006, [(5, 5.0)], **dict(TANKER, vessel_name="NEW NAME", imo=None, length_m=None))
    vessels, _, _, _ = run(rows, events(), gaz)
    v = vessels.iloc[0]
    assert (v["vessel_name"], v["imo"], v["length_m"], v["draught_changes"]) == ("NEW NAME", 9358010, 100.0, 1)
    assert v["draught_maintained"] and v["cargo_note"] is None and v["population"] == "tanker"
