"""Sanctions watchlists: read the lists a user passes, and screen every vessel seen against them.

A watchlist is a file the user downloads and passes (``--watchlist FILE``, repeatable). Three
formats are read, recognised from the content (:func:`read_watchlist`):

- OFAC's own ``SDN.CSV`` export: no header, 12 fields (``ent_num, SDN_Name, SDN_Type, Program,
  Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks``), ``-0-`` for empty;
  only ``SDN_Type`` "vessel" rows are kept. The IMO number ("Vessel Registration Identification IMO
  nnnnnnn", once "Identification Number IMO nnnnnnn"), the MMSI, former names ("f.k.a. 'X'"),
  aliases ("a.k.a. 'X'") and former flags ("Former Vessel Flag X") are read from the Remarks field;
  programs joined as ``IRAN] [NPWMD`` are split.
- The OpenSanctions maritime CSV (``type,name,imo,risk,countries,flag,mmsi,id,url,datasets,aliases``):
  rows of type Vessel; ``aliases`` (';'-separated) become aliases, ``datasets`` the programs.
- A plain CSV ``imo,mmsi,name,list,note`` (``list`` and ``note`` optional): any of imo, mmsi and
  name may be empty, not all three; ``note`` is shown in brackets like a program.

:func:`screen` matches the vessels seen (:func:`vessels_seen`) against the lists, one row per vessel x
entry (spec :data:`schema.WATCHLIST_MATCHES`), with a *strength*:

- ``strong``: the broadcast IMO number equals a listed one (both with a valid check digit), or the
  MMSI equals a listed one and no valid broadcast IMO contradicts the entry. Only a strong match is
  a finding (:data:`FINDING_STRENGTHS`).
- ``name``: the normalised broadcast name equals a listed name, alias or former name (f.k.a.) and no
  identifier contradicts it (the vessel or the entry has no IMO). A name is not an identity: many
  ships share a name, and a ship can broadcast any name. Reported, never a finding on its own.
  When both sides have valid, different IMOs it is a different ship with the same name: dropped.
- ``weak``: a similar name (character n-gram cosine >= ``fuzzy_threshold``), or an MMSI match that
  the vessel's broadcast IMO contradicts (MMSIs are reassigned when a ship is sold or reflagged).

What a match does not mean: a match says a broadcast identifier equals one on a list, not that the
ship broke a sanction; AIS identifiers are self-reported and can be false (a listed ship may
broadcast another ship's IMO, an innocent one may be spoofed). Lists change weekly: users pass their
current export; nothing is downloaded, ever. Broadcast names in the ``reason`` text came from a ship
(attacker-controlled): exports must escape them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from vesseltrack import schema
from vesseltrack.errors import ConfigError
from vesseltrack.schema import WATCHLIST, WATCHLIST_MATCHES

#: Strengths, strongest first; only those in FINDING_STRENGTHS are findings.
STRENGTHS = ("strong", "name", "weak")
FINDING_STRENGTHS = ("strong",)
MATCHED_ON = ("imo", "mmsi", "name", "former_name")
#: Names (normalised, spaces not counted) shorter than this are never fuzzy-matched.
FUZZY_MIN_CHARS = 4

SDN_FIELDS = ("ent_num", "SDN_Name", "SDN_Type", "Program", "Title", "Call_Sign", "Vess_type", "Tonnage", "GRT",
              "Vess_flag", "Vess_owner", "Remarks")
OPENSANCTIONS_FIELDS = ("type", "name", "imo", "risk", "countries", "flag", "mmsi", "id", "url", "datasets",
                        "aliases")
PLAIN_FIELDS = ("imo", "mmsi", "name", "list", "note")
FORMATS = (
    f"OFAC SDN.CSV (no header, {len(SDN_FIELDS)} fields: {','.join(SDN_FIELDS)})",
    f"OpenSanctions maritime CSV (header {','.join(OPENSANCTIONS_FIELDS)})",
    f"plain CSV (header {','.join(PLAIN_FIELDS)}; list and note optional)",
)

_IMO_RE = r"\bIMO\s+(\d{7})\b"  # "Vessel Registration Identification IMO n" (once "Identification Number IMO n")
_MMSI_RE = r"\bMMSI\s+(\d{9})\b"
_PREFIX_RE = r"^(?:(?:M [VTY]|MV|MT)\s+)+"  # M/V, MV, M/T, MT, M.T., M/Y once punctuation is a space


# --- identifiers and names ------------------------------------------------------------------------
def imo_check_digit_ok(imo) -> np.ndarray:
    """Boolean array: each value is a 7-digit IMO number whose check digit is right.

    The check digit (the 7th) is the last digit of d1*7 + d2*6 + ... + d6*2. Missing, non-integer
    or out-of-range values are False. Accepts any array-like (numpy, pandas nullable, lists).
    """
    a = pd.to_numeric(pd.Series(np.asarray(imo, dtype=object)), errors="coerce").to_numpy("float64", na_value=np.nan)
    ok = np.isfinite(a) & (a >= 1_000_000) & (a <= 9_999_999)
    ok &= np.floor(np.where(ok, a, 0)) == np.where(ok, a, 0)
    n = np.where(ok, a, 0).astype(np.int64)
    digits = (n[:, None] // 10 ** np.arange(6, -1, -1, dtype=np.int64)) % 10
    return ok & ((digits[:, :6] @ np.arange(7, 1, -1, dtype=np.int64)) % 10 == digits[:, 6])


def normalise_names(s: pd.Series) -> pd.Series:
    """Vessel names made comparable: NFKD with accents dropped, upper case, punctuation and hyphens as
    spaces ("MAIA-1" == "MAIA 1"), spaces collapsed, leading "M/V", "MV", "M/T", "MT", "M.T.", "M/Y"
    dropped. Empty results and missing values are <NA>. Same index as ``s``; idempotent."""
    t = s.astype("string").str.normalize("NFKD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    t = t.str.upper().str.replace(r"[\W_]+", " ", regex=True).str.strip()
    t = t.str.replace(_PREFIX_RE, "", regex=True).str.strip()
    return t.mask(t.str.len() == 0).astype("string")


def _join(parts: pd.Series, index: pd.Index) -> pd.Series:
    """'; '-join the values of a Series indexed by row label (as from extractall), as a Series on ``index``."""
    parts = parts.dropna().astype(str).str.strip().str.rstrip(".").str.strip()
    parts = parts[parts != ""]
    if not len(parts):
        return pd.Series(None, index=index, dtype=object)
    level0 = parts.index.get_level_values(0) if isinstance(parts.index, pd.MultiIndex) else parts.index
    joined = parts.groupby(level0, sort=False).agg("; ".join)
    return joined.reindex(index).astype(object).where(lambda x: x.notna(), None)


def _split_join(s: pd.Series, sep: str) -> pd.Series:
    """Multi-valued text split on ``sep`` (a regex), cleaned and '; '-joined."""
    return _join(s.astype("string").str.split(sep, regex=True).explode(), s.index)


# --- reading --------------------------------------------------------------------------------------
def _read_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else cp1252 with undecodable bytes replaced."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the watchlist ({err.strerror}); expected a readable CSV file "
                          f"in one of the formats {'; '.join(FORMATS)}; check the path given to --watchlist") from err
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _sniff(path: Path, text: str) -> str:
    """'sdn', 'opensanctions' or 'plain', from the first non-empty line."""
    first = next((line for line in text.splitlines() if line.strip()), None)
    if first is None:
        raise ConfigError(f"{path}: the watchlist is empty; expected one of {'; '.join(FORMATS)}; received an "
                          f"empty file; pass the list you downloaded (e.g. OFAC's SDN.CSV)")
    fields = next(csv.reader([first]))
    header = [f.strip().lower() for f in fields]
    if len(fields) == len(SDN_FIELDS) and fields[0].strip().isdigit():
        return "sdn"
    if {"type", "name", "imo", "mmsi", "id"} <= set(header):
        return "opensanctions"
    if {"imo", "mmsi", "name"} <= set(header):
        return "plain"
    raise ConfigError(f"{path}: unknown watchlist format; expected one of {'; '.join(FORMATS)}; received a first "
                      f"line of {len(fields)} fields starting {first[:120]!r}; convert the list to the plain CSV "
                      f"format (imo,mmsi,name,list,note)")


def _parse_csv(path: Path, text: str, **kwargs) -> pd.DataFrame:
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, **kwargs)
    except (pd.errors.ParserError, ValueError) as err:
        raise ConfigError(f"{path}: cannot parse the watchlist as CSV ({str(err).strip()}); expected one of "
                          f"{'; '.join(FORMATS)}; fix or re-download the file") from err


def _identifier(path: Path, s: pd.Series, what: str, digits: int, rows: pd.Series) -> pd.Series:
    """Text of IMO/MMSI numbers (optional 'IMO' prefix; first of ';'-separated values) as Int32;
    anything else that is not empty is a ConfigError naming the rows."""
    t = s.astype("string").str.split(";").str[0].str.strip().str.replace(r"^IMO\s*", "", regex=True, case=False)
    bad = t.notna() & (t != "") & ~t.str.fullmatch(rf"\d{{1,{digits}}}").fillna(False)
    if bad.any():
        raise ConfigError(f"{path}: {what} must be a number of up to {digits} digits; received "
                          f"{t[bad].head(3).tolist()} on data row(s) {rows[bad].head(3).tolist()}; correct or "
                          f"empty those cells")
    return pd.to_numeric(t.where(t != "", None), errors="coerce").astype("Int32")


def _finish(df: pd.DataFrame, path: Path) -> pd.DataFrame:
    df = df.copy()
    df["imo_valid"] = imo_check_digit_ok(df["imo"])
    df["source"] = path.name
    for col in WATCHLIST:
        if col.dtype == "str" and col.name in df:
            v = df[col.name].astype(object)
            df[col.name] = v.where(v.notna() & (v.astype(str).str.strip() != ""), None)
    return schema.conform(df, WATCHLIST, fill_missing=True)


def _read_sdn(path: Path, text: str) -> pd.DataFrame:
    """OFAC SDN.CSV: vessel rows only, identifiers and former names/flags from Remarks."""
    raw = _parse_csv(path, text, header=None, names=list(SDN_FIELDS), quotechar='"')
    raw = raw.apply(lambda c: c.str.strip().replace("-0-", ""))  # one call per column (12), not per row
    v = raw[raw["SDN_Type"].str.lower() == "vessel"].reset_index(drop=True)
    if not len(v):
        raise ConfigError(f"{path}: no vessel entries (SDN_Type 'vessel') in this OFAC SDN.CSV; expected OFAC's "
                          f"SDN.CSV with its vessels; received {len(raw)} entries of types "
                          f"{sorted(set(raw['SDN_Type']) - {''})[:5]}; pass the full SDN.CSV export")
    rem = v["Remarks"]
    out = pd.DataFrame({
        "list": "OFAC SDN",
        "entry_id": v["ent_num"],
        "name": v["SDN_Name"],
        "former_names": _join(rem.str.extractall(r"f\.k\.a\.\s+'([^']*)'")[0], v.index),
        "aliases": _join(rem.str.extractall(r"a\.k\.a\.\s+'([^']*)'")[0], v.index),
        "imo": pd.to_numeric(rem.str.extract(_IMO_RE)[0]).astype("Int32"),
        "mmsi": pd.to_numeric(rem.str.extract(_MMSI_RE)[0]).astype("Int32"),
        "call_sign": v["Call_Sign"],
        "flag": v["Vess_flag"],
        "former_flags": _join(rem.str.extractall(r"Former Vessel Flag ([^;]+)")[0], v.index),
        "programs": _split_join(v["Program"].str.strip("[] "), r"\]\s*\["),
        "vessel_type": v["Vess_type"],
    })
    out["former_flags"] = out["former_flags"].str.replace(r"(?:^|; )None Identified(?=;|$)", "", regex=True)
    out["former_flags"] = out["former_flags"].str.strip("; ").replace("", None)
    return _finish(out, path)


def _read_opensanctions(path: Path, text: str) -> pd.DataFrame:
    raw = _parse_csv(path, text)
    raw.columns = [c.strip().lower() for c in raw.columns]
    v = raw[raw["type"].str.strip().str.lower() == "vessel"].reset_index(drop=True)
    rows = pd.Series(v.index + 1)
    flag = v["flag"] if "flag" in v else pd.Series("", index=v.index)
    countries = v["countries"] if "countries" in v else pd.Series("", index=v.index)
    out = pd.DataFrame({
        "list": "OpenSanctions",
        "entry_id": v["id"],
        "name": v["name"],
        "aliases": _split_join(v["aliases"], ";") if "aliases" in v else None,
        "imo": _identifier(path, v["imo"], "imo", 7, rows),
        "mmsi": _identifier(path, v["mmsi"], "mmsi", 9, rows),
        "flag": _split_join(flag.where(flag.str.strip() != "", countries), ";"),
        "programs": _split_join(v["datasets"], ";") if "datasets" in v else None,
    })
    return _finish(out, path)


def _read_plain(path: Path, text: str) -> pd.DataFrame:
    raw = _parse_csv(path, text)
    raw.columns = [c.strip().lower() for c in raw.columns]
    raw = raw.apply(lambda c: c.str.strip())
    rows = pd.Series(raw.index + 1)
    empty = (raw["imo"] == "") & (raw["mmsi"] == "") & (raw["name"] == "")
    if empty.any():
        raise ConfigError(f"{path}: data row(s) {rows[empty].head(5).tolist()} have no imo, mmsi or name; expected "
                          f"at least one per row; fill them in or delete those rows")
    lst = raw["list"] if "list" in raw else pd.Series("", index=raw.index)
    out = pd.DataFrame({
        "list": lst.where(lst != "", path.stem),
        "entry_id": rows.astype(str),
        "name": raw["name"],
        "imo": _identifier(path, raw["imo"], "imo", 7, rows),
        "mmsi": _identifier(path, raw["mmsi"], "mmsi", 9, rows),
        "programs": raw["note"] if "note" in raw else None,
    })
    return _finish(out, path)


def read_watchlist(path: str | Path) -> pd.DataFrame:
    """One watchlist file as a :data:`schema.WATCHLIST` table, in the file's order.

    The format (OFAC SDN.CSV, OpenSanctions maritime CSV, plain CSV) is recognised from the
    content; text is read as UTF-8, else cp1252 (OFAC's exports), never failing on a byte. Raises
    ConfigError for a missing, empty, unrecognised or malformed file.
    """
    path = Path(path)
    text = _read_text(path)
    kind = _sniff(path, text)
    reader = {"sdn": _read_sdn, "opensanctions": _read_opensanctions, "plain": _read_plain}[kind]
    return reader(path, text)


def read_watchlists(paths: Iterable[str | Path]) -> pd.DataFrame:
    """Several watchlist files as one :data:`schema.WATCHLIST` table, in the order given."""
    parts = [read_watchlist(p) for p in paths]
    if not parts:
        return schema.empty(WATCHLIST).astype({"imo_valid": "boolean"})
    return pd.concat(parts, ignore_index=True)


# --- screening ------------------------------------------------------------------------------------
def vessels_seen(positions: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct (mmsi, imo, vessel_name) in a positions table (schema.POSITIONS), sorted.

    A row without a name is dropped when the same (mmsi, imo) was also seen with one.
    Columns: mmsi (int32), imo (Int32), vessel_name (str, None when never broadcast).
    """
    seen = pd.DataFrame({
        "mmsi": positions["mmsi"].astype("int32"),
        "imo": positions["imo"].astype("Int32"),
        "vessel_name": positions["vessel_name"].astype(object),
    }).drop_duplicates()
    named = seen["vessel_name"].notna()
    has_named = seen[named][["mmsi", "imo"]].drop_duplicates().assign(_n=True)
    seen = seen.merge(has_named, on=["mmsi", "imo"], how="left")
    seen = seen[named.to_numpy() | seen["_n"].isna().to_numpy()].drop(columns="_n")
    seen["vessel_name"] = seen["vessel_name"].where(seen["vessel_name"].notna(), None)
    return seen.sort_values(["mmsi", "imo", "vessel_name"], na_position="first").reset_index(drop=True)


def _listed_names(wl: pd.DataFrame) -> pd.DataFrame:
    """(widx, via, key, matched_on) for every listed name, alias and former name; ``via`` is the text
    shown after the entry name in a reason ('' for its own name, "a.k.a. X", "f.k.a. X")."""
    parts = [pd.DataFrame({"widx": wl.index, "alt": wl["name"], "matched_on": "name", "tag": ""})]
    for col, kind, tag in (("aliases", "name", "a.k.a."), ("former_names", "former_name", "f.k.a.")):
        alt = wl[col].astype("string").str.split("; ").explode().dropna()
        parts.append(pd.DataFrame({"widx": alt.index, "alt": alt.to_numpy(), "matched_on": kind, "tag": tag}))
    names = pd.concat(parts, ignore_index=True)
    names["key"] = normalise_names(names["alt"])
    names["via"] = np.where(names["tag"] == "", "", names["tag"] + " " + names["alt"].astype(str))
    return names.dropna(subset=["key"]).drop_duplicates(["widx", "key"])[["widx", "key", "via", "matched_on"]]


def _fuzzy_pairs(left: pd.Series, right: pd.Series, threshold: float) -> pd.DataFrame:
    """(key, key_listed, similarity) for distinct keys whose character 2-3-gram cosine is >= threshold
    and < 1, as one sparse matrix product. Raw n-gram counts (no IDF), so a pair's similarity
    depends on the two names only, not on the other ships in the data."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    def usable(s: pd.Series) -> np.ndarray:
        u = s.dropna().unique()
        return np.array([k for k in u if len(k.replace(" ", "")) >= FUZZY_MIN_CHARS], dtype=object)

    a, b = usable(left), usable(right)
    if not len(a) or not len(b):
        return pd.DataFrame({"key": pd.Series([], dtype="string"), "key_listed": pd.Series([], dtype="string"),
                             "similarity": pd.Series([], dtype=float)})
    vec = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), use_idf=False, lowercase=False)
    vec.fit(np.concatenate([a, b]))
    sim = (vec.transform(a) @ vec.transform(b).T).tocoo()
    keep = (sim.data >= threshold) & (sim.data < 1 - 1e-9)
    return pd.DataFrame({"key": a[sim.row[keep]], "key_listed": b[sim.col[keep]],
                         "similarity": np.minimum(sim.data[keep], 1.0)})


def _contradicts(m: pd.DataFrame) -> np.ndarray:
    """The vessel and the entry both have valid IMO numbers, and they differ."""
    return (m["imo_ok"] & m["listed_ok"] & (m["imo"] != m["listed_imo"]).fillna(False)).to_numpy(bool)


def _candidates(seen: pd.DataFrame, wl: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Every way each vessel matched each entry (before keeping the strongest)."""
    ids = wl[["imo", "mmsi", "imo_valid"]].rename(columns={"imo": "listed_imo", "mmsi": "listed_mmsi",
                                                           "imo_valid": "listed_ok"})
    ids["widx"] = wl.index
    by_imo = seen[seen["imo_ok"]].merge(ids[ids["listed_ok"]], left_on="imo", right_on="listed_imo")
    by_imo = by_imo.assign(matched_on="imo", strength="strong", via="")
    by_mmsi = seen.merge(ids[ids["listed_mmsi"].notna()], left_on="mmsi", right_on="listed_mmsi")
    by_mmsi = by_mmsi.assign(matched_on="mmsi", via="",
                             strength=np.where(_contradicts(by_mmsi), "weak", "strong"))
    names = _listed_names(wl)
    by_name = seen.merge(names, on="key").merge(ids, on="widx").assign(strength="name")
    fuzzy = _fuzzy_pairs(seen["key"], names["key"], threshold)
    by_fuzzy = (seen.drop(columns="similarity").merge(fuzzy, on="key")
                .merge(names.rename(columns={"key": "key_listed"}), on="key_listed")
                .merge(ids, on="widx").assign(strength="weak"))
    by_name = by_name[~_contradicts(by_name)]
    by_fuzzy = by_fuzzy[~_contradicts(by_fuzzy)]
    parts = [p for p in (by_imo, by_mmsi, by_name, by_fuzzy) if len(p)]
    cols = ["mmsi", "imo", "vessel_name", "widx", "matched_on", "strength", "similarity", "via"]
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    return pd.concat([p[cols] for p in parts], ignore_index=True)


def _phrase(cited: pd.Series, lst: pd.Series, programs: pd.Series) -> pd.Series:
    """'<cited> is on <list> (<programs>)'."""
    prog = programs.fillna("").astype(str)
    return cited + " is on " + lst.astype(str) + np.where(prog != "", " (" + prog + ")", "")


def _reasons(m: pd.DataFrame) -> pd.Series:
    """The reason phrase of each match row (vectorised string building, one expression per kind)."""
    listed = m["listed_name"].fillna("(no name)").astype(str)
    via = m["via"].fillna("").astype(str)
    as_listed: pd.Series = " as " + listed + np.where(via != "", " (" + via + ")", "")
    imo = m["imo"].astype("string").fillna("")
    mmsi = m["mmsi"].astype(str)
    name = m["vessel_name"].fillna("").astype(str)
    on_list = lambda cited: _phrase(cited, m["list"], m["programs"])  # noqa: E731
    by_imo = on_list("IMO " + imo) + as_listed
    by_mmsi = on_list("MMSI " + mmsi) + as_listed
    contra = (by_mmsi + " (listed IMO " + m["listed_imo"].astype("string").fillna("") + "), but the vessel "
              "broadcasts IMO " + imo + ": MMSIs are reassigned, a weak match, not a finding")
    by_name: pd.Series = (on_list("name " + name) + as_listed + ": a name match only, not an identity ("
               + np.where(m["imo"].isna(), "the vessel broadcasts no IMO", "the entry has no IMO") + ")")
    similar = (on_list("name " + name + " is similar (" + m["similarity"].map("{:.2f}".format) + ") to an entry that")
               + as_listed + ": a weak name match only, not a finding")
    kinds = [m["matched_on"] == "imo", (m["matched_on"] == "mmsi") & (m["strength"] == "strong"),
             m["matched_on"] == "mmsi", m["strength"] == "name"]
    return pd.Series(np.select(kinds, [by_imo, by_mmsi, contra, by_name], default=similar), index=m.index)


def screen(seen: pd.DataFrame, watchlist: pd.DataFrame, *, fuzzy_threshold: float = 0.9) -> pd.DataFrame:
    """Match vessels seen (:func:`vessels_seen`) against watchlist entries: a schema.WATCHLIST_MATCHES table.

    One row per (mmsi, imo, vessel_name) x (list, entry_id) matched, the strongest way it matched
    (strength 'strong' > 'name' > 'weak'; then imo > mmsi > name > former_name), sorted by mmsi,
    imo, vessel_name, strength, list and entry_id. Joins are exact merges on IMO (valid check digits
    on both sides), MMSI and normalised name; similar names come from one sparse n-gram product.

    Only strengths in :data:`FINDING_STRENGTHS` ('strong': IMO, or MMSI not contradicted by a
    broadcast IMO) are findings; 'name' and 'weak' rows are leads for an analyst, never a finding.
    """
    if not 0 < fuzzy_threshold <= 1:
        raise ConfigError(f"fuzzy_threshold must be in (0, 1]; received {fuzzy_threshold}; use e.g. 0.9")
    s = pd.DataFrame({"mmsi": seen["mmsi"].astype("int32"), "imo": seen["imo"].astype("Int32"),
                      "vessel_name": seen["vessel_name"].astype(object)}).reset_index(drop=True)
    s["imo_ok"] = imo_check_digit_ok(s["imo"])
    s["key"] = normalise_names(s["vessel_name"])
    s["similarity"] = 1.0
    wl = watchlist.reset_index(drop=True)
    cand = _candidates(s, wl, fuzzy_threshold)
    m = cand.join(wl[["list", "entry_id", "name", "imo", "mmsi", "programs", "flag"]].rename(
        columns={"name": "listed_name", "imo": "listed_imo", "mmsi": "listed_mmsi"}), on="widx")
    m["_s"] = m["strength"].map({k: i for i, k in enumerate(STRENGTHS)})
    m["_o"] = m["matched_on"].map({k: i for i, k in enumerate(MATCHED_ON)})
    m = m.sort_values(["_s", "_o", "similarity"], ascending=[True, True, False], kind="stable")
    m = m.drop_duplicates(["mmsi", "imo", "vessel_name", "list", "entry_id"])
    m = m.sort_values(["mmsi", "imo", "vessel_name", "_s", "list", "entry_id"], kind="stable", na_position="first")
    m["reason"] = _reasons(m) if len(m) else pd.Series([], dtype=object)
    return schema.conform(m, WATCHLIST_MATCHES)


def findings(matches: pd.DataFrame) -> pd.DataFrame:
    """The matches that are findings (strength in :data:`FINDING_STRENGTHS`), same columns and order."""
    return matches[matches["strength"].isin(FINDING_STRENGTHS)].reset_index(drop=True)


def reasons_by_track(matches: pd.DataFrame) -> pd.Series:
    """For each mmsi with a finding, its reason phrases '; '-joined (sorted by list, entry_id):
    a Series named 'watchlist' indexed by mmsi (int32), for the alerts' reasons."""
    f = findings(matches).sort_values(["mmsi", "list", "entry_id"], kind="stable")
    f = f.drop_duplicates(["mmsi", "reason"])
    out = f.groupby("mmsi", sort=True)["reason"].agg("; ".join)
    out.index = out.index.astype("int32")
    return out.rename("watchlist")
