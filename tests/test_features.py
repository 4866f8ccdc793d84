import numpy as np
import pandas as pd

from vesseltrack.features import MIN_SPEED_STEP_S, _step_reductions
from vesseltrack.geo import BLOCK_ROWS


def _plain(steps: pd.DataFrame, f: np.ndarray):
    """The whole-table computation _step_reductions does in blocks."""
    n = len(steps)
    mmsi = steps["mmsi"].to_numpy()
    same = np.zeros(n, dtype=bool)
    same[:-1] = mmsi[1:] == mmsi[:-1]
    dist, dt, spd = (steps[c].to_numpy() for c in ("distance_m", "dt_s", "implied_speed_kn"))
    dn = np.zeros(n)
    dn[:-1] = np.where(same[:-1], np.nan_to_num(dist[1:]), 0.0)
    sn = np.zeros(n)
    sn[:-1] = np.where(same[:-1] & (dt[1:] >= MIN_SPEED_STEP_S), np.nan_to_num(spd[1:]), 0.0)
    dr = steps["draught_m"].to_numpy(dtype=float)
    drn = np.full(n, np.nan)
    drn[:-1] = np.where(same[:-1], dr[1:], np.nan)
    with np.errstate(invalid="ignore"):
        hi, lo = np.fmax(dr, drn), np.fmin(dr, drn)
    return (
        np.add.reduceat(dn, f),
        np.fmax.reduceat(sn, f),
        np.fmax.reduceat(np.where(np.isnan(hi), -np.inf, hi), f),
        np.fmin.reduceat(np.where(np.isnan(lo), np.inf, lo), f),
    )


def test_step_reductions_across_blocks_equal_the_whole_table():
    rng = np.random.default_rng(11)
    n = BLOCK_ROWS * 2 + 12_345
    mmsi = np.repeat(
        np.arange(1, 41, dtype=np.int32), np.diff(np.r_[0, np.sort(rng.choice(n - 1, 39, replace=False)) + 1, n])
    )
    steps = pd.DataFrame({
        "mmsi": mmsi,
        "distance_m": np.where(rng.random(n) < 0.01, np.nan, rng.uniform(0, 500, n)),
        "dt_s": rng.uniform(0, 600, n),
        "implied_speed_kn": np.where(rng.random(n) < 0.01, np.nan, rng.uniform(0, 30, n)),
        "draught_m": np.where(rng.random(n) < 0.5, np.nan, rng.uniform(3, 20, n)).astype(np.float32),
    })
    # voyages: starts at every vessel change, plus some inside vessels, one exactly at a block edge
    f = np.unique(
        np.r_[np.flatnonzero(np.r_[True, mmsi[1:] != mmsi[:-1]]), rng.choice(n, 300, replace=False), BLOCK_ROWS]
    )
    got, want = _step_reductions(steps, f), _plain(steps, f)
    assert len(got[0]) == len(f)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)  # sums: block order may change the last bit
    for g, w in zip(got[1:], want[1:]):
        assert np.array_equal(g, w)
    # voyages that start after row 0 only
    got, want = _step_reductions(steps, f[5:]), _plain(steps, f[5:])
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    assert all(np.array_equal(g, w) for g, w in zip(got[1:], want[1:]))


def test_vessel_population_table():
    import numpy as np

    from vesseltrack.features import vessel_population

    cases = [  # (type, class, length) -> population
        (84, "A", 180.0, "tanker"),
        (71, "A", 90.0, "cargo"),
        (np.nan, "A", 120.0, "merchant (type unknown)"),
        (np.nan, None, np.nan, "merchant (type unknown)"),
        (99, "A", 80.0, "merchant (type unknown)"),
        (np.nan, "B", 12.0, "small (type unknown)"),
        (np.nan, "A", 20.0, "small (type unknown)"),
        (30, "A", 25.0, "fishing"),
        (37, "B", 12.0, "pleasure"),
        (36, "B", 10.0, "pleasure"),
        (52, "A", 30.0, "harbour craft"),
        (31, "A", 30.0, "harbour craft"),
        (50, "A", 18.0, "harbour craft"),
        (60, "A", 90.0, "passenger"),
        (40, "A", 40.0, "high-speed craft"),
        (55, "A", 30.0, "military or law enforcement"),
        (51, "A", 20.0, "military or law enforcement"),
        (20, "A", 30.0, "other"),
    ]
    vt, cls, ln, want = zip(*cases)
    got = vessel_population(np.array(vt, dtype=float), np.array(cls, dtype=object), np.array(ln, dtype=float))
    assert got.tolist() == list(want)


def test_identity_issues_name_the_cause_that_fired():
    import numpy as np

    from vesseltrack.features import identity_issues

    flags = pd.DataFrame({"mmsi": [100000001, 273000002, 273000003, 273000004],
                          "unallocated_mid": [True, False, False, False], "invalid_imo": [False, True, False, False],
                          "placeholder_speed_reports": [0, 0, 4, 0], "on_land_reports": [0, 2, 0, 0]})
    got = identity_issues(np.array([100000001, 273000002, 273000003, 273000004, 1_273_000_003]), flags)
    assert got.tolist() == [
        "unallocated MID 100",
        "IMO number fails its check digit; 2 reports more than 5 km inland",
        "4 reports at a placeholder speed (51.2, 63 or 102.3 kn)",
        None,
        "4 reports at a placeholder speed (51.2, 63 or 102.3 kn)",
    ]  # a split track keeps its MMSI's flags


def test_model_feature_tables_derive_the_scorer_parameters():
    from vesseltrack import features

    for model, one_sided, evidence in ((features.VOYAGE_MODEL, features.VOYAGE_ONE_SIDED, features.VOYAGE_EVIDENCE),
                                       (features.GAP_MODEL, features.GAP_ONE_SIDED, features.GAP_EVIDENCE)):
        names = [f.name for f in model]
        assert len(set(names)) == len(names)
        assert one_sided == tuple(f.name for f in model if f.one_sided)
        assert evidence == {f.name: f.evidence for f in model if f.evidence > 0}
        assert all(0.0 <= f.evidence < 1.0 for f in model)
    assert "log_duration_h" not in features.VOYAGE_ONE_SIDED and "in_port" not in features.GAP_ONE_SIDED
    assert set(features.VOYAGE_EVIDENCE) == {
        "log_encounter_hours",
        "log_dark_sts_hours",
        "spoofing_events",
        "identity_clash",
        "log_tanker_likely_dark_hours",
    }


def _suspicious_voyage() -> tuple[pd.DataFrame, pd.DataFrame]:
    """One voyage on which every voyage feature fires, and its longest gap."""
    from vesseltrack import schema

    v = pd.DataFrame({c.name: [3.0] for c in schema.VOYAGE_FEATURES})
    v[["is_tanker", "identity_clash", "invalid_identity"]] = 1
    v["identity_issues"] = "unallocated MID 000"
    gap = pd.DataFrame(
        {
            "duration_h": [30.0],
            "start_sensitive_port_km": [12.0],
            "end_sensitive_port_km": [400.0],
            "port": ["Nakhodka"],
            "draught_before_m": [8.0],
            "draught_after_m": [11.5],
            "reachable_ports": ["Vanino"],
        }
    )
    return v, gap


def test_every_model_feature_has_a_phrase():
    from vesseltrack import explain, features

    v, gap = _suspicious_voyage()
    X = features.voyage_matrix(v)
    assert list(X.columns) == [f.name for f in features.VOYAGE_MODEL]
    story = explain.VoyageStory(v, gap, pd.Series(["Nakhodka"]))
    said = {f.name: f.phrase(story).tolist() for f in features.VOYAGE_MODEL}
    assert all(len(p) == 1 and isinstance(p[0], str) and p[0] for p in said.values()), said
    assert said["log_duration_h"] == ["voyage of 3 h"]
    assert said["sensitive_port_calls"] == ["calls at sensitive port Nakhodka"]
    assert said["invalid_identity"] == ["invalid identity: unallocated MID 000"]

    g = pd.DataFrame(
        {
            "duration_h": [30.0],
            "start_sensitive_port_km": [12.0],
            "end_sensitive_port_km": [400.0],
            "port": ["Nakhodka"],
            "draught_before_m": [8.0],
            "draught_after_m": [11.5],
            "spare_h": [9.0],
            "silence_per_day_log10": [-3.0],
            "others_heard": [40],
            "in_port": [False],
            "vessel_type": [80],
            "is_closed": [True],
            "likely_dark": [True],
            "reachable_ports": ["Vanino"],
        }
    )
    assert list(features.gap_matrix(g).columns) == [f.name for f in features.GAP_MODEL]
    story = explain.GapStory(g)
    said = {f.name: f.phrase(story).tolist() for f in features.GAP_MODEL}
    assert all(len(p) == 1 and isinstance(p[0], str) and p[0] for p in said.values()), said
    assert said["in_port"] == ["at sea, not in port"]
    assert said["improbability"] == ["ships there go silent this long once in ~1000 ship-days"]
