"""Watchlists: the three readers, IMO check digits, name normalisation, screening, and the real OFAC SDN list."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLES, SHARED_AIS, make_positions, shared_ais
from hypothesis import given
from hypothesis import strategies as st

from vesseltrack import schema
from vesseltrack import watchlist as W
from vesseltrack.errors import ConfigError

SDN = SHARED_AIS.parent / "sanctions" / "ofac_sdn_2024-05-03.csv"
EXCERPT = SAMPLES / "ofac_sdn_excerpt.csv"
OTHER_IMO = 9074729  # a valid IMO number on neither list


def sdn_path():
    """The real SDN.CSV of 2024-05-03; skipped (with the AIS data) when ../shared is absent."""
    shared_ais()
    if not SDN.is_file():
        pytest.skip(f"{SDN} not present")
    return SDN


@pytest.fixture(scope="module")
def sdn() -> pd.DataFrame:
    return W.read_watchlist(sdn_path())


@pytest.fixture(scope="module")
def excerpt() -> pd.DataFrame:
    return W.read_watchlist(EXCERPT)


def entry(wl: pd.DataFrame, name: str) -> pd.Series:
    rows = wl[wl["name"] == name]
    assert len(rows) == 1, (name, rows)
    return rows.iloc[0]


# --- IMO check digit and names --------------------------------------------------------------------
def test_imo_check_digit_known_answers():
    imos = pd.array([9358010, 8517839, 9179842, 9161003, 1010703, 9358011, 935801, None, 12345678], dtype="Int32")
    assert W.imo_check_digit_ok(imos).tolist() == [True] * 5 + [False] * 4
    assert W.imo_check_digit_ok(np.array([], dtype="int64")).tolist() == []


@given(st.integers(100_000, 999_999), st.integers(0, 9))
def test_imo_check_digit_accepts_exactly_the_right_last_digit(first6, last):
    d = [int(c) for c in str(first6)]
    right = sum(x * w for x, w in zip(d, range(7, 1, -1))) % 10
    assert W.imo_check_digit_ok(np.array([first6 * 10 + last]))[0] == (last == right)


def test_normalise_names_known_answers():
    s = pd.Series(["MAIA-1", "maia 1", "M/V  Maria", "MT. ANGARA", "M.T. LADY-R", "Señorita", "MV", None, " - "])
    assert W.normalise_names(s).tolist() == ["MAIA 1", "MAIA 1", "MARIA", "ANGARA", "LADY R", "SENORITA", "MV",
                                             pd.NA, pd.NA]


@given(st.lists(st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["M/V MV X", "MT M/T", "é-a"]))))
def test_normalise_names_is_idempotent(names):
    once = W.normalise_names(pd.Series(names, dtype=object))
    pd.testing.assert_series_equal(W.normalise_names(once), once)


# --- readers --------------------------------------------------------------------------------------
SDN_LINES = [
    '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ',
    '15037,"ARK III","vessel","IRAN",-0- ,-0- ,"Crude/Oil Products Tanker","99,030","56,068","Iran",-0- ,'
    '"Vessel Registration Identification IMO 9187655; f.k.a. \'ABADEH\'; f.k.a. \'CRYSTAL\'."',
    '9,"CAF\xc9 \x81","vessel","IRAN] [NPWMD",-0- ,"ABC1",-0- ,-0- ,-0- ,"Malta",-0- ,'
    '"Former Vessel Flag Tuvalu; alt. Former Vessel Flag None Identified; MMSI 215000001."',
]


def test_sdn_reader_keeps_vessels_parses_remarks_and_survives_cp1252(tmp_path):
    p = tmp_path / "SDN.CSV"
    p.write_bytes("\r\n".join(SDN_LINES).encode("latin-1") + b"\r\n")
    wl = W.read_watchlist(p)
    schema.validate(wl, W.WATCHLIST)
    assert wl["entry_id"].tolist() == ["15037", "9"]
    ark, cafe = wl.iloc[0], wl.iloc[1]
    assert (ark["imo"], ark["former_names"], ark["programs"], ark["flag"]) == (9187655, "ABADEH; CRYSTAL", "IRAN",
                                                                               "Iran")
    assert ark["imo_valid"] and ark["source"] == "SDN.CSV" and ark["list"] == "OFAC SDN"
    assert cafe["name"].startswith("CAFÉ") and pd.isna(cafe["imo"]) and not cafe["imo_valid"]
    assert (cafe["mmsi"], cafe["programs"], cafe["former_flags"], cafe["call_sign"]) == (215000001, "IRAN; NPWMD",
                                                                                          "Tuvalu", "ABC1")


def test_opensanctions_reader(tmp_path):
    p = tmp_path / "maritime.csv"
    p.write_text(
        "type,name,imo,risk,countries,flag,mmsi,id,url,datasets,aliases\n"
        "Vessel,MAIA-1,IMO9358010,sanction,ru,,273000001,ofac-1,https://x,us_ofac_sdn;eu_fsf,MAYA 1;MAIA ONE\n"
        "Organization,TRANSMORFLOT LLC,5000001,sanction,ru,,,ofac-2,https://y,us_ofac_sdn,\n"
        "VESSEL,NO IDS,,sanction,kp,kp,,os-3,,un_sc_sanctions,\n",
        encoding="utf-8",
    )
    wl = W.read_watchlist(p)
    schema.validate(wl, W.WATCHLIST)
    assert wl["name"].tolist() == ["MAIA-1", "NO IDS"] and (wl["list"] == "OpenSanctions").all()
    maia = wl.iloc[0]
    assert (maia["imo"], maia["mmsi"], maia["entry_id"], maia["aliases"], maia["programs"], maia["flag"]) == (
        9358010, 273000001, "ofac-1", "MAYA 1; MAIA ONE", "us_ofac_sdn; eu_fsf", "ru")
    assert wl.iloc[1]["flag"] == "kp" and pd.isna(wl.iloc[1]["imo"])


def test_plain_reader_and_read_watchlists(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("imo,mmsi,name,list,note\n9358010,,MAIA-1,UN 1718,seen at Rajin\n,273000002,,,\n9358011,,,,\n")
    wl = W.read_watchlist(p)
    assert wl["list"].tolist() == ["UN 1718", "mine", "mine"] and wl["entry_id"].tolist() == ["1", "2", "3"]
    assert wl["imo_valid"].tolist() == [True, False, False] and wl.iloc[0]["programs"] == "seen at Rajin"
    both = W.read_watchlists([p, EXCERPT])
    schema.validate(both, W.WATCHLIST)
    assert len(both) == 3 + 16 and both["source"].unique().tolist() == ["mine.csv", "ofac_sdn_excerpt.csv"]
    schema.validate(W.read_watchlists([]), W.WATCHLIST)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("", r"empty\.csv: the watchlist is empty; expected one of OFAC SDN\.CSV"),
        ("vessel,imo_number\nX,1\n", r"unknown watchlist format; expected one of OFAC SDN.CSV .*OpenSanctions .*"
                                     r"plain CSV .*received a first line of 2 fields starting 'vessel,imo_number'"),
        ("imo,mmsi,name\n9358010,,X\n,,\n", r"data row\(s\) \[2\] have no imo, mmsi or name; expected at least one"),
        ("imo,mmsi,name\nIMO 93580X0,,X\n", r"imo must be a number of up to 7 digits; received \['93580X0'\] on data "
                                            r"row\(s\) \[1\]"),
        ('36,"A",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n', r"no vessel entries .*received 1 entries"),
    ],
)
def test_bad_watchlists_raise_a_helpful_config_error(tmp_path, content, match):
    p = tmp_path / "empty.csv"
    p.write_text(content)
    with pytest.raises(ConfigError, match=match):
        W.read_watchlist(p)


def test_missing_watchlist_file(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.csv: cannot read the watchlist .*check the path given to --watch"):
        W.read_watchlist(tmp_path / "nope.csv")


# --- the sample excerpt ---------------------------------------------------------------------------
def test_excerpt_parses(excerpt):
    schema.validate(excerpt, W.WATCHLIST)
    assert len(excerpt) == 16 and excerpt["imo"].notna().sum() == 14 and excerpt["mmsi"].notna().sum() == 6
    for name, imo in [("MAIA-1", 9358010), ("MARIA", 8517839), ("ANGARA", 9179842), ("LADY R", 9161003)]:
        e = entry(excerpt, name)
        assert (e["imo"], e["programs"], e["imo_valid"]) == (imo, "RUSSIA-EO14024", True)
    assert entry(excerpt, "ARTAVIL")["mmsi"] == 572469210 and entry(excerpt, "ARTAVIL")["former_names"] == "ALPHA"
    assert entry(excerpt, "NS LEADER")["imo"] == 9339301  # "Identification Number IMO", not the usual wording
    assert pd.isna(entry(excerpt, "RYONG GUN BONG")["imo"])  # a bare registration number is not taken as an IMO
    if SDN.is_file():  # the excerpt's rows are verbatim rows of the real file
        assert set(EXCERPT.read_bytes().splitlines()) <= set(SDN.read_bytes().splitlines())


# --- screening ------------------------------------------------------------------------------------
def seen_of(*vessels: tuple) -> pd.DataFrame:
    rows = [dict(mmsi=m, t="2024-03-01T00:00", lat=42.0, lon=132.0, imo=i, vessel_name=n) for m, i, n in vessels]
    return W.vessels_seen(make_positions(rows))


def test_vessels_seen_one_row_per_identity():
    rows = [dict(mmsi=1, t=f"2024-03-01T0{h}:00", lat=0.0, lon=0.0, imo=i, vessel_name=n)
            for h, (i, n) in enumerate([(None, None), (None, "A"), (None, "A"), (9358010, None), (None, "B")])]
    seen = W.vessels_seen(make_positions(rows))
    assert seen.to_dict("list") == {"mmsi": [1, 1, 1], "imo": [None, None, 9358010],
                                    "vessel_name": ["A", "B", None]}
    assert seen["mmsi"].dtype == "int32" and seen["imo"].dtype == "Int32"


def test_a_list_of_identifiers_without_names_screens(tmp_path):
    """A plain list with MMSIs only (no name to compare, so no fuzzy candidates) still matches."""
    p = tmp_path / "ids.csv"
    p.write_text("imo,mmsi,name,list,note\n,273000009,,TEST,\n")
    rows = [dict(mmsi=273000009, t="2024-03-01T00:00", lat=0.0, lon=0.0, vessel_name="ANY NAME")]
    m = W.screen(W.vessels_seen(make_positions(rows)), W.read_watchlist(p))
    assert m[["mmsi", "matched_on", "strength"]].values.tolist() == [[273000009, "mmsi", "strong"]]


def test_screen_matches_strengths_and_reasons(excerpt):
    seen = seen_of(
        (273000001, 9358010, "MAIA 1"),  # IMO: strong (its name also matches; one row, the strongest)
        (273000002, None, "M/V Maria"),  # name: MARIA, and MARIA E a.k.a. MARIA
        (518100626, None, None),  # TANGO's MMSI, nothing else broadcast: strong
        (572469210, OTHER_IMO, "ALPHA"),  # ARTAVIL's MMSI and former name, but another valid IMO: weak
        (273000005, None, "Abadeh"),  # a former name of ARK III
        (273000006, OTHER_IMO, "ANGARA"),  # a different ship called ANGARA: no match
        (273000007, None, "CHONG CHON KANG"),  # similar to CHONG CHON GANG: weak
        (273000008, 9358011, "SOMETHING ELSE"),  # MAIA-1's IMO with a wrong check digit: no match
    )
    m = W.screen(seen, excerpt)
    schema.validate(m, W.WATCHLIST_MATCHES)
    got = m[["mmsi", "listed_name", "matched_on", "strength"]].values.tolist()
    assert got == [
        [273000001, "MAIA-1", "imo", "strong"],
        [273000002, "MARIA E", "name", "name"],
        [273000002, "MARIA", "name", "name"],
        [273000005, "ARK III", "former_name", "name"],
        [273000007, "CHONG CHON GANG", "name", "weak"],
        [518100626, "TANGO", "mmsi", "strong"],
        [572469210, "ARTAVIL", "mmsi", "weak"],
    ]
    assert m["reason"].tolist() == [
        "IMO 9358010 is on OFAC SDN (RUSSIA-EO14024) as MAIA-1",
        "name M/V Maria is on OFAC SDN (RUSSIA-EO14024) as MARIA E (a.k.a. MARIA): a name match only, not an "
        "identity (the vessel broadcasts no IMO)",
        "name M/V Maria is on OFAC SDN (RUSSIA-EO14024) as MARIA: a name match only, not an identity (the vessel "
        "broadcasts no IMO)",
        "name Abadeh is on OFAC SDN (IRAN) as ARK III (f.k.a. ABADEH): a name match only, not an identity (the "
        "vessel broadcasts no IMO)",
        "name CHONG CHON KANG is similar (0.92) to an entry that is on OFAC SDN (DPRK) as CHONG CHON GANG: a weak "
        "name match only, not a finding",
        "MMSI 518100626 is on OFAC SDN (RUSSIA-EO14024) as TANGO",
        f"MMSI 572469210 is on OFAC SDN (IRAN) as ARTAVIL (listed IMO 9187629), but the vessel broadcasts IMO "
        f"{OTHER_IMO}: MMSIs are reassigned, a weak match, not a finding",
    ]
    assert m["similarity"].round(2).tolist() == [1.0, 1.0, 1.0, 1.0, 0.92, 1.0, 1.0]
    assert W.FINDING_STRENGTHS == ("strong",)
    assert W.reasons_by_track(m).to_dict() == {
        273000001: "IMO 9358010 is on OFAC SDN (RUSSIA-EO14024) as MAIA-1",
        518100626: "MMSI 518100626 is on OFAC SDN (RUSSIA-EO14024) as TANGO",
    }


def test_screen_former_name_with_its_imo_is_strong_and_says_which_name(excerpt):
    m = W.screen(seen_of((422000001, 9187655, "CRYSTAL"), (422000002, None, "SAND SWAN")), excerpt)
    assert m["strength"].tolist() == ["strong", "name"]
    assert m["reason"].tolist()[1].startswith("name SAND SWAN is on OFAC SDN (CUBA) as EBANO (f.k.a. SAND SWAN)")


def test_screen_without_matches_and_bad_threshold(excerpt):
    m = W.screen(seen_of((366000001, None, "NOBODY")), excerpt)
    schema.validate(m, W.WATCHLIST_MATCHES)
    assert len(m) == 0 and len(W.reasons_by_track(m)) == 0
    with pytest.raises(ConfigError, match=r"fuzzy_threshold must be in \(0, 1\]; received 1.5"):
        W.screen(m, excerpt, fuzzy_threshold=1.5)


def test_screen_is_deterministic_under_shuffling(excerpt):
    seen = seen_of((273000001, 9358010, "MAIA 1"), (273000002, None, "MARIA"), (518100626, None, "TANGO"))
    a = W.screen(seen, excerpt)
    b = W.screen(seen.sample(frac=1, random_state=1), excerpt.sample(frac=1, random_state=2))
    pd.testing.assert_frame_equal(a, b)


# --- the real OFAC SDN list -----------------------------------------------------------------------
@pytest.mark.realdata
def test_real_sdn_every_vessel_parsed(sdn):
    schema.validate(sdn, W.WATCHLIST)
    assert len(sdn) == 851 and sdn["entry_id"].is_unique
    assert sdn["imo"].notna().sum() == 844 and sdn["imo_valid"].sum() == 844
    assert sdn["mmsi"].notna().sum() == 154
    assert sdn["former_names"].notna().sum() == 22 and sdn["former_names"].str.split("; ").str.len().sum() == 52
    assert sdn["aliases"].notna().sum() == 7 and sdn["former_flags"].notna().sum() == 40
    for name, imo in [("MAIA-1", 9358010), ("MARIA", 8517839), ("ANGARA", 9179842), ("LADY R", 9161003)]:
        e = entry(sdn, name)
        assert (e["imo"], e["programs"], e["flag"]) == (imo, "RUSSIA-EO14024", "Russia")
    assert entry(sdn, "ARK III")["former_names"] == "ABADEH; CRYSTAL; SUNDIAL; ARK"
    assert entry(sdn, "EBANO")["former_names"] == "ANA I; SAND SWAN"
    assert entry(sdn, "ST. VITAMIN")["programs"] == "UKRAINE-EO13661; CYBER2; ELECTION-EO13848"
    assert (sdn["programs"] == "IRAN; NPWMD; IFSR").sum() == 118
    assert not sdn["programs"].str.contains(r"[\[\]]").any()


@pytest.mark.realdata
def test_real_sdn_screening_exact_and_former_names(sdn):
    seen = seen_of((273000001, 9358010, None), (273000002, None, "LADY R"), (422000003, None, "SUNDIAL"),
                   (518100626, None, None), (273000004, OTHER_IMO, "MAIA-1"))
    m = W.screen(seen, sdn)
    assert m[["mmsi", "listed_name", "matched_on", "strength"]].values.tolist() == [
        [273000001, "MAIA-1", "imo", "strong"],
        [273000002, "LADY R", "name", "name"],
        [422000003, "ARK III", "former_name", "name"],
        [518100626, "TANGO", "mmsi", "strong"],
    ]


@pytest.fixture(scope="module")
def real_seen() -> pd.DataFrame:
    from vesseltrack.ingest import read_positions

    files = sorted(p for p in shared_ais().rglob("*.csv") if p.name != "UpdatedPub150.csv")
    return W.vessels_seen(read_positions(files))


@pytest.mark.realdata
def test_no_false_match_on_1000_real_vessel_names(sdn, real_seen):
    names = np.sort(real_seen["vessel_name"].dropna().unique().astype(str))
    assert len(names) >= 1000
    pick = np.random.default_rng(2024).choice(names, 1000, replace=False)
    seen = real_seen[real_seen["vessel_name"].isin(pick)]  # with the IMOs and MMSIs they broadcast
    m = W.screen(seen, sdn)
    assert not (m["strength"] == "strong").any()
    assert not (m["strength"] == "weak").any()
    # looked at by hand: US pleasure/work craft named like listed ships, none broadcasting an IMO
    assert sorted(zip(m["vessel_name"], m["listed_name"], m["strength"])) == [
        ("GLORY", "HUGE", "name"), ("PATRIOT", "PATRIOT", "name"), ("PATRIOT", "PATRIOT", "name"),
        ("TANGO", "TANGO", "name"),
    ]
    assert m["imo"].isna().all()


@pytest.mark.realdata
def test_the_one_real_identifier_match_is_tango(sdn, real_seen):
    """aisdb's test data heard MMSI 518100626 (no name) off Corfu on 2021-07-01: the yacht TANGO's listed MMSI."""
    m = W.findings(W.screen(real_seen, sdn))
    assert m[["mmsi", "listed_name", "matched_on"]].values.tolist() == [[518100626, "TANGO", "mmsi"]]
