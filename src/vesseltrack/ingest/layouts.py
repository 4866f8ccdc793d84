"""Known table layouts and column-name synonyms for CSV / Parquet AIS files.

Header names are compared after :func:`norm` (lower case, only letters and digits), so
``"# Timestamp"``, ``"timestamp"`` and ``"TIME_STAMP"`` all match the synonym ``timestamp`` and the
misspelt MarineCadastre ``TranscieverClass`` is just one more synonym.

A *layout* is a named set of header names that identifies where a file comes from (MarineCadastre,
DMA aisdk, NARI, ...). Layouts only name the file in counts and set per-file defaults (the
anonymised-id layout turns ``strict_mmsi`` off); the column mapping itself always comes from the
synonyms table, overridden by the user's ``column_map``.

Text codes some providers write instead of AIS numbers (DMA "Ship type" "Tanker", "Navigational
status" "At anchor") are mapped to AIS codes by the tables below ("Class A" -> "A" is done in clean.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vesseltrack import schema

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def norm(name: str) -> str:
    """Normalised header name: lower case, letters and digits only (``'# Timestamp'`` -> ``'timestamp'``)."""
    return _NON_ALNUM.sub("", str(name).lower())


#: canonical column -> accepted source header names (compared after :func:`norm`), best first.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "sourcemmsi", "userid", "user_id", "mmsi_id", "shipmmsi", "ssvid", "id"),
    "timestamp": (
        "BaseDateTime", "# Timestamp", "timestamp", "t", "msgtime", "date_time_utc", "Time",
        "ais_pos_timestamp", "datetime", "date_time", "time_utc", "timestamp_utc", "ts", "utc",
        "received_time", "position_timestamp", "basedatetime_utc",
    ),
    "lat": ("LAT", "Latitude", "latitude", "lat", "y", "lat_deg"),
    "lon": ("LON", "Longitude", "longitude", "lon", "lng", "long", "x", "lon_deg"),
    "sog_kn": ("SOG", "speedoverground", "speedOverGround", "sog", "speed", "sog_kn", "speed_kn"),
    "cog_deg": ("COG", "courseoverground", "courseOverGround", "cog", "course", "cog_deg"),
    "heading_deg": ("Heading", "trueheading", "true_heading", "trueHeading", "heading_deg", "hdg"),
    "nav_status": ("Status", "Navigational status", "navigationalstatus", "nav_status", "navstatus",
                   "Navigational_status"),
    "draught_m": ("Draft", "Draught", "draught_m", "draft_m"),
    "imo": ("IMO", "imo_nr", "imo_number", "imonumber"),
    "vessel_name": ("VesselName", "Name", "name", "Vessel_Name", "shipname", "ship_name"),
    "call_sign": ("CallSign", "Callsign", "call_sign", "Call_sign", "radio_call_sign"),
    "vessel_type": ("VesselType", "Ship type", "shipType", "Ship_Type", "shiptype", "vessel_type",
                    "ship_and_cargo_type", "shipandcargotype"),
    "destination": ("Destination", "destination"),
    "length_m": ("Length", "length_m", "shiplength"),
    "width_m": ("Width", "width_m", "beam", "shipwidth"),
    "ais_class": ("TransceiverClass", "TranscieverClass", "Type of mobile", "ais_class", "class",
                  "transponder_class"),
}

#: Extra source columns some layouts need next to the canonical ones: exactEarth milliseconds, and the
#: AIS dimensions from the reference point (to bow + to stern = length, to port + to starboard = width),
#: used when the file has no length / width column.
EXTRA = {
    "millisecond": ("Millisecond", "millisecond", "msec"),
    "to_bow": ("Dimension_to_Bow", "to_bow", "dim_a", "dimension_a"),
    "to_stern": ("Dimension_to_stern", "to_stern", "dim_b", "dimension_b"),
    "to_port": ("Dimension_to_port", "to_port", "dim_c", "dimension_c"),
    "to_starboard": ("Dimension_to_starboard", "to_starboard", "dim_d", "dimension_d"),
}
#: canonical column -> the two dimension columns whose sum it is
DIMENSION_SUMS = {"length_m": ("to_bow", "to_stern"), "width_m": ("to_port", "to_starboard")}

#: Measured columns whose source may carry a unit or a scale in its name ("SPEED_KNOTSx10",
#: "DRAUGHT_METERSx10", "draft_cm"): the unit words each may end in, in canonical units.
UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "sog_kn": ("knots", "knot", "kts", "kn"),
    "cog_deg": ("degrees", "degree", "deg"),
    "heading_deg": ("degrees", "degree", "deg"),
    "draught_m": ("meters", "metres", "meter", "metre", "m"),
    "length_m": ("meters", "metres", "meter", "metre", "m"),
    "width_m": ("meters", "metres", "meter", "metre", "m"),
}
#: Scale markers at the end of a (normalised) header name -> factor to the canonical unit, longest
#: first; units smaller than the metre only for lengths. A value in a ``..._x10`` column is ten
#: times the quantity (AIS itself sends speed in tenths of a knot).
SCALE_MARKERS: tuple[tuple[str, float, bool], ...] = (
    ("x1000", 1e-3, False), ("x100", 1e-2, False), ("x10", 1e-1, False),
    ("decimetres", 1e-1, True), ("decimeters", 1e-1, True), ("centimetres", 1e-2, True),
    ("centimeters", 1e-2, True), ("millimetres", 1e-3, True), ("millimeters", 1e-3, True),
    ("dm", 1e-1, True), ("cm", 1e-2, True), ("mm", 1e-3, True),
)
_METRES = ("draught_m", "length_m", "width_m")

_SYN_NORM: dict[str, tuple[str, ...]] = {
    c: tuple(dict.fromkeys(norm(s) for s in syns)) for c, syns in {**SYNONYMS, **EXTRA}.items()
}

CANONICAL = tuple(schema.names(schema.POSITIONS))
#: Keys of a column map that are options, not columns.
MAP_OPTIONS = ("timestamp_format", "timestamp_unit")


@dataclass(frozen=True)
class Layout:
    name: str
    #: normalised header names that must all be present
    signature: tuple[str, ...]
    #: None: strict MMSI check (9 digits); False: ids are anonymised positive integers
    strict_mmsi: bool = True
    #: explicit strptime format of the timestamp column, or "epoch" / "exactearth"; None = detect
    time_format: str | None = None


#: Checked in order; the first whose signature is all present names the file.
LAYOUTS: tuple[Layout, ...] = (
    Layout("exactearth", ("mmsi", "messageid", "time", "millisecond", "longitude", "latitude"),
           time_format="exactearth"),
    Layout("dma_aisdk", ("timestamp", "typeofmobile", "mmsi", "latitude", "longitude"),
           time_format="%d/%m/%Y %H:%M:%S"),
    Layout("marinecadastre", ("mmsi", "basedatetime", "lat", "lon", "sog", "cog")),
    Layout("marinecadastre_points", ("mmsi", "basedatetime", "lat", "lon")),
    Layout("nari", ("sourcemmsi", "t", "lon", "lat"), time_format="epoch"),
    Layout("barentswatch", ("mmsi", "msgtime", "latitude", "longitude")),
    Layout("damast", ("mmsi", "datetimeutc", "lon", "lat")),
    Layout("anonymised_id", ("id", "aispostimestamp", "longitude", "latitude"), strict_mmsi=False,
           time_format="%d/%m/%Y %H:%M"),
)

#: DMA "Ship type" text -> AIS ship-and-cargo type code (first code of the family).
VESSEL_TYPE_TEXT: dict[str, int] = {
    "wig": 20, "fishing": 30, "towing": 31, "towing long/wide": 32, "dredging": 33, "diving": 34,
    "military": 35, "sailing": 36, "pleasure": 37, "hsc": 40, "pilot": 50, "sar": 51, "tug": 52,
    "port tender": 53, "anti-pollution": 54, "law enforcement": 55, "medical": 58,
    "not party to conflict": 59, "passenger": 60, "cargo": 70, "tanker": 80, "other": 90,
    "spare 1": 95, "spare 2": 96, "reserved": 95,
}

#: Words of the ship-type vocabularies real exports use (MarineTraffic-, Spire- and VesselFinder-
#: style names, ITU text: "Oil/Chemical Tanker", "Crude Oil Tanker", "LNG Tanker", "Bulk Carrier",
#: "Container Ship", "Ro-Ro Cargo", "Tug", "Yacht", ...) -> AIS code of the family, tried in this
#: order on names :data:`VESSEL_TYPE_TEXT` does not hold (so "bunkering tanker" is a tanker, not a
#: tender; "fishing support vessel" is fishing). Text that matches none stays empty.
VESSEL_TYPE_WORDS: tuple[tuple[tuple[str, ...], int], ...] = (
    (("tanker", "lng carrier", "lpg carrier", "gas carrier", "bunker"), 80),
    (("wing in ground", "wig"), 20),
    (("fishing", "trawler", "fish carrier", "fish factory", "seiner", "longliner"), 30),
    (("tug", "towing", "pusher"), 52),
    (("dredg", "hopper"), 33),
    (("diving", "dive "), 34),
    (("military", "naval", "navy", "warship", "patrol vessel"), 35),
    (("sailing", "sail "), 36),
    (("pleasure", "yacht", "leisure"), 37),
    (("high speed", "high-speed", "hsc", "hydrofoil"), 40),
    (("pilot",), 50),
    (("search and rescue", "rescue", "sar "), 51),
    (("port tender", "tender"), 53),
    (("anti-pollution", "pollution", "oil recovery"), 54),
    (("law enforce", "police", "coast guard", "coastguard", "customs"), 55),
    (("medical", "hospital"), 58),
    (("passenger", "ferry", "cruise", "ro-pax", "ropax"), 60),
    (("cargo", "bulk", "container", "ro-ro", "roro", "reefer", "vehicle", "car carrier", "carrier", "freighter",
      "cement", "heavy load", "livestock", "timber", "wood chip"), 70),
    (("other", "supply", "offshore", "research", "cable", "crane", "platform", "buoy"), 90),
)


def vessel_type_code(text: pd.Series) -> np.ndarray:
    """AIS type codes (float, NaN when unknown) of lower-case ship-type texts: the exact names of
    :data:`VESSEL_TYPE_TEXT`, then the words of :data:`VESSEL_TYPE_WORDS` in order. Meant for the
    distinct texts of a column (few), not for every row."""
    txt = text.astype(str).str.lower().str.strip()
    out = txt.map(VESSEL_TYPE_TEXT).to_numpy(dtype=np.float64, na_value=np.nan)
    padded = " " + txt + " "
    for words, code in VESSEL_TYPE_WORDS:
        hit = np.zeros(len(txt), dtype=bool)
        for w in words:
            hit |= padded.str.contains(w, regex=False).to_numpy()
        out = np.where(np.isnan(out) & hit, code, out)
    return out


#: DMA "Navigational status" text -> AIS navigational status code.
NAV_STATUS_TEXT: dict[str, int] = {
    "under way using engine": 0, "at anchor": 1, "not under command": 2,
    "restricted maneuverability": 3, "restricted manoeuvrability": 3, "constrained by her draught": 4,
    "moored": 5, "aground": 6, "engaged in fishing": 7, "under way sailing": 8,
    "reserved for future amendment [hsc]": 9, "reserved for future amendment [wig]": 10,
    "power-driven vessel towing astern": 11, "power-driven vessel pushing ahead or towing alongside": 12,
    "reserved for future use": 13, "ais-sart": 14, "ais-sart is active": 14,
}



def match_columns(columns: list[str], column_map: dict | None = None) -> dict[str, str]:
    """Map canonical names (plus ``millisecond``) to source column names of ``columns``.

    ``column_map`` entries ({canonical: source}) win over synonyms; each source column is used once.
    """
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    out: dict[str, str] = {}
    used: set[str] = set()
    for canon, src in (column_map or {}).items():
        if canon in MAP_OPTIONS:
            continue
        out[canon] = src
        used.add(src)
    for canon, syns in _SYN_NORM.items():
        if canon in out:
            continue
        for s in syns:
            src = by_norm.get(s)
            if src is not None and src not in used:
                out[canon] = src
                used.add(src)
                break
    for canon in UNIT_WORDS:  # names with a unit or a scale: 'SPEED_KNOTSx10', 'draft_cm'
        if canon in out:
            continue
        src = next((c for c in columns if c not in used and _unit_stem(canon, norm(c)) is not None), None)
        if src is not None:
            out[canon] = src
            used.add(src)
    for canon, parts in DIMENSION_SUMS.items():  # only what a sum will fill
        if canon in out:
            for p in parts:
                out.pop(p, None)
    return out


def _unit_stem(canon: str, name: str) -> float | None:
    """Factor to ``canon``'s unit when the normalised header ``name`` is one of its synonyms followed by a
    unit word and/or a scale marker ('speedknotsx10' -> 0.1 for sog_kn), else None."""
    factor = 1.0
    for marker, f, metres_only in SCALE_MARKERS:
        if name.endswith(marker) and (canon in _METRES or not metres_only):
            name, factor = name[: -len(marker)], f
            break
    stems = [name] + [name[: -len(u)] for u in UNIT_WORDS[canon] if name.endswith(u) and len(name) > len(u)]
    if factor == 1.0 and stems == [name]:
        return None  # plain names are the synonyms' business
    return factor if any(s in _SYN_NORM[canon] for s in stems) else None


def column_scales(mapping: dict[str, str]) -> dict[str, float]:
    """{canonical: factor} for mapped source columns whose name carries a scale ('SPEED_KNOTSx10' -> 0.1)."""
    out = {}
    for canon in UNIT_WORDS:
        src = mapping.get(canon)
        f = _unit_stem(canon, norm(src)) if src is not None else None
        if f is not None and f != 1.0:
            out[canon] = f
    return out


#: Words in a header name that say which canonical column it resembles (checked on columns the
#: mapping left unused, to warn about information that would otherwise be lost silently).
RESEMBLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sog_kn", ("speed", "sog", "knot")),
    ("cog_deg", ("course", "cog")),
    ("heading_deg", ("heading", "hdg")),
    ("draught_m", ("draught", "draft")),
    ("vessel_name", ("name",)),
    ("vessel_type", ("shiptype", "vesseltype", "shipandcargo", "type")),
    ("length_m", ("length", "dimension", "bow", "stern")),
    ("width_m", ("width", "beam", "breadth", "dimension", "port", "starboard")),
    ("imo", ("imo",)),
    ("destination", ("destination", "dest")),
    ("call_sign", ("callsign",)),
    ("nav_status", ("navstatus", "navigationalstatus", "status")),
)


#: How many unrecognised ship-type texts a warning names (the most frequent first).
UNRECOGNISED_LISTED = 10


def unrecognised_warning(name: str, unrecognised: dict[str, int]) -> list[str]:
    """The warning for ship-type texts that mapped to no AIS code (their rows keep an empty type)."""
    if not unrecognised:
        return []
    top = sorted(unrecognised.items(), key=lambda kv: (-kv[1], kv[0]))[:UNRECOGNISED_LISTED]
    listed = ", ".join(f"{t!r} ({n:,} rows)" for t, n in top)
    more = f" and {len(unrecognised) - len(top):,} more" if len(unrecognised) > len(top) else ""
    return [f"{name}: {len(unrecognised):,} ship-type text(s) not recognised, left without a type: {listed}{more}; "
            f"see VESSEL_TYPE_WORDS in ingest/layouts.py"]


def unmapped_warnings(name: str, columns: list[str], mapping: dict[str, str]) -> list[str]:
    """Warnings for input columns that look like a canonical column no column fills.

    A column is only named when what it resembles stayed empty: a DMA file's "Type of position
    fixing device" is no warning once "Ship type" fills ``vessel_type``. Also says which columns
    were read with a scale.
    """
    used = set(mapping.values())
    out = []
    for col in columns:
        if col in used:
            continue
        n = norm(col)
        like = [c for c, words in RESEMBLES if c not in mapping and any(w in n for w in words)
                and not (c in DIMENSION_SUMS and all(p in mapping for p in DIMENSION_SUMS[c]))]
        if like:
            out.append(f"{name}: column {col!r} looks like {' or '.join(like)} but was not read; "
                       f"map it with --column-map (e.g. {{\"{like[0]}\": \"{col}\"}}) if it holds that")
    for canon, f in column_scales(mapping).items():
        out.append(f"{name}: column {mapping[canon]!r} read as {canon} = value x {f:g} (scale from its name)")
    return out


def detect_layout(columns: list[str]) -> Layout | None:
    """The first known layout whose signature headers are all present, else None (generic)."""
    have = {norm(c) for c in columns}
    for lay in LAYOUTS:
        if all(s in have for s in lay.signature):
            return lay
    return None


def check_column_map(column_map: object) -> None:
    """Raise ConfigError for a column map that no file can satisfy, before any data is read.

    The map is ``{canonical: source column}`` plus the options ``timestamp_format`` (``"iso"``,
    ``"epoch"``, ``"exactearth"`` or a strptime format) and ``timestamp_unit`` (of epoch numbers).
    Checked: a JSON object, known keys, text values, each source column used once (two canonical
    fields read from one column would invent data), a known unit, a format that can parse.
    :func:`validate_column_map` adds what needs the file (its columns).
    """
    from vesseltrack.errors import ConfigError

    if column_map is None:
        return
    if not isinstance(column_map, dict):
        raise ConfigError(
            f"column map must be a JSON object {{canonical_name: source_column}}; received {type(column_map).__name__}; write it like {{\"mmsi\": \"ship_id\", \"timestamp\": \"time\"}}"
        )
    allowed = (*CANONICAL, "millisecond", *MAP_OPTIONS)
    unknown = [k for k in column_map if k not in allowed]
    if unknown:
        raise ConfigError(
            f"column map names unknown columns {unknown}; expected keys among {list(allowed)}; fix the keys of your --column-map file"
        )
    bad_vals = {k: v for k, v in column_map.items() if not isinstance(v, str) or not v.strip()}
    if bad_vals:
        raise ConfigError(
            f"column map values must be non-empty strings (source column names or options); received {bad_vals}; fix your --column-map file"
        )
    by_source: dict[str, list[str]] = {}
    for k, v in column_map.items():
        if k not in MAP_OPTIONS:
            by_source.setdefault(v, []).append(k)
    shared = {v: ks for v, ks in by_source.items() if len(ks) > 1}
    if shared:
        raise ConfigError(
            f"column map reads several fields from one column ({', '.join(f'{v!r} for {ks}' for v, ks in shared.items())}); expected each source column once; map each field to its own column and leave out the others"
        )
    unit = column_map.get("timestamp_unit")
    if unit is not None and unit not in _UNIT_NS:
        raise ConfigError(
            f"timestamp_unit {unit!r} is not supported; expected one of {list(_UNIT_NS)} (of epoch numbers); fix your --column-map file"
        )
    fmt = column_map.get("timestamp_format")
    if fmt is not None and fmt not in ("iso", "epoch", "exactearth") and "%" not in fmt:
        raise ConfigError(
            f"timestamp_format {fmt!r} is neither a strptime format nor a known form; expected 'iso', 'epoch', 'exactearth' or e.g. '%d/%m/%Y %H:%M:%S'; fix your --column-map file"
        )


def validate_column_map(column_map: dict | None, columns: list[str], path) -> None:
    """Raise ConfigError for a map that :func:`check_column_map` refuses or that names source
    columns absent from the file."""
    from vesseltrack.errors import ConfigError

    if not column_map:
        return
    check_column_map(column_map)
    absent = [v for k, v in column_map.items() if k not in MAP_OPTIONS and v not in columns]
    if absent:
        raise ConfigError(
            f"{path}: column map names source columns {absent} that are not in the file; received "
            f"columns {list(columns)[:40]}; fix the values of your --column-map file"
        )


# --- conversion of provider columns (Arrow arrays) to canonical pandas columns -------------------
# Shared by the CSV and Parquet readers. Values that cannot be parsed become NaN / NaT / <NA>;
# clean.py decides what that means for the row.

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402

#: Strings read as missing in every text column.
NULL_STRINGS = ("", "None", "none", "NULL", "null", "NaN", "nan", "NA", "N/A", "n/a")
NULL_STRINGS_LOWER = frozenset(x.lower() for x in NULL_STRINGS)
#: Ship-type texts that say "no type" (DMA writes "Undefined"): empty, and not worth a warning.
NO_TYPE_TEXT = frozenset({"undefined", "unknown", "not available", "not defined", "default", "-", "0"})

NUMERIC = ("mmsi", "lat", "lon", "sog_kn", "cog_deg", "heading_deg", "draught_m", "length_m",
           "width_m", "millisecond")
CODED = {"nav_status": NAV_STATUS_TEXT, "vessel_type": VESSEL_TYPE_TEXT, "imo": {}}
TEXT = ("vessel_name", "call_sign", "destination", "ais_class")

_RE_EXACTEARTH = re.compile(r"^\d{8}_\d{6}$")
_RE_DMY_S = re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}$")
_RE_DMY_M = re.compile(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}$")
_RE_NUMBER = re.compile(r"^-?\d+(\.\d*)?$")


def _combine(arr):
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _np(arr) -> np.ndarray:
    """Arrow Array or ChunkedArray -> numpy (nulls as NaN for floats)."""
    if isinstance(arr, pa.ChunkedArray):
        return arr.to_numpy() if arr.num_chunks != 1 else arr.chunk(0).to_numpy(zero_copy_only=False)
    return arr.to_numpy(zero_copy_only=False)


def _float_np(arr) -> np.ndarray:
    """Arrow float array -> float64 numpy with NaN for null, in numpy-owned memory.

    A zero-copy view would keep the Arrow buffer (and the allocator segment around it) alive
    for as long as the positions live; one copy of 8 bytes a row is cheaper than that.
    """
    out = _np(arr)
    if out.dtype != np.float64 or not out.flags.owndata:
        out = out.astype(np.float64, copy=True)
    return out


def to_float(arr: pa.Array, keep_float32: bool = False) -> np.ndarray:
    """Any Arrow array -> float64 numpy (float32 kept when ``keep_float32``); null and unparseable text -> NaN."""
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    if pa.types.is_float32(t) and keep_float32:
        return _float_np(arr).astype(np.float32, copy=False)
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        return _float_np(pc.cast(arr, pa.float64()))
    if pa.types.is_decimal(t):
        return _float_np(pc.cast(arr, pa.float64(), safe=False))
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return np.full(len(arr), np.nan)
    try:
        return _float_np(pc.cast(arr, pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        trimmed = pc.utf8_trim_whitespace(_combine(arr))
        return pd.to_numeric(pd.Series(trimmed.to_pandas()), errors="coerce").to_numpy(np.float64)


def mmsi_column(arr: pa.Array):
    """MMSI as float64 numpy; when some non-empty values are not numbers, the raw text (str Series)
    so that clean.py can show them in the reject detail."""
    t = arr.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        try:
            return _float_np(pc.cast(arr, pa.float64()))  # every value a number or empty
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
    vals = to_float(arr)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        bad = np.isnan(vals) & ~_np(pc.is_null(arr))
        if bad.any():
            return pd.Series(_combine(arr).to_pandas(), dtype="str")
    return vals


def _count_unrecognised(enc: pa.DictionaryArray, words: pa.Array, unknown: np.ndarray, into: dict | None) -> None:
    """Add to ``into`` {text: rows} the dictionary words flagged ``unknown`` (blank and null texts excluded)."""
    if into is None or not unknown.any():
        return
    rows = np.bincount(pc.drop_null(enc.indices).to_numpy(zero_copy_only=False).astype(np.int64), minlength=len(words))
    texts = words.to_pylist()
    for i in np.flatnonzero(unknown & (rows > 0)):
        t = (texts[i] or "").strip()
        if t and t.lower() not in NULL_STRINGS_LOWER and t.lower() not in NO_TYPE_TEXT:
            into[t] = into.get(t, 0) + int(rows[i])


def coded_column(arr: pa.Array, table: dict[str, int], unrecognised: dict | None = None) -> np.ndarray:
    """A numeric AIS code column that some providers write as text ('Tanker', 'At anchor', 'IMO9307839').

    Ship-type texts that map to no code are added to ``unrecognised`` ({text: rows}) when given."""
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
        return to_float(arr)
    if not table:  # IMO: 'IMO9307839' -> '9307839' before the fast cast
        arr = pc.utf8_ltrim(arr, characters="IMOimo ")
    try:
        return _float_np(pc.cast(arr, pa.float64()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    enc = pc.dictionary_encode(_combine(arr))
    words = enc.dictionary
    low = pc.utf8_lower(pc.utf8_trim_whitespace(words))
    # 'IMO9307839' -> '9307839'
    stripped = pc.utf8_ltrim(low, characters="imo ")
    num = pd.to_numeric(pd.Series(stripped.to_pandas()), errors="coerce").to_numpy(np.float64)
    if table is VESSEL_TYPE_TEXT:
        mapped = vessel_type_code(pd.Series(low.to_pandas()))
        _count_unrecognised(enc, words, np.isnan(num) & np.isnan(mapped), unrecognised)
    else:
        mapped = pd.Series(low.to_pandas()).map(table).to_numpy(dtype=np.float64, na_value=np.nan) if table else num
    codes = np.where(np.isnan(num), mapped, num)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    out = np.full(len(arr), np.nan)
    ok = ~pc.is_null(enc.indices).to_numpy(zero_copy_only=False)
    out[ok] = codes[idx[ok].astype(np.int64)]
    return out


def text_column(arr: pa.Array) -> pd.Series:
    """Text -> pandas category, through Arrow dictionary encoding (no Python strings per row).

    Stripping whitespace and AIS '@' padding, and '' / 'None' -> missing, is done by clean.py on
    the categories only.
    """
    arr = _combine(arr)
    t = arr.type
    if not pa.types.is_dictionary(t):
        if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            arr = pc.cast(arr, pa.string())
        arr = pc.dictionary_encode(arr)
    elif not (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)):
        arr = pc.dictionary_encode(pc.cast(arr.cast(t.value_type), pa.string()))
    return pd.Series(arr.to_pandas(), copy=False)


def detect_time_format(arr: pa.Array) -> str:
    """Guess the timestamp form of a text column from its first non-null values.

    Slash dates are read day first (``dd/mm/yyyy``, as DMA and most non-US exports write them)
    unless a value in the sample has a second field above 12; pass ``timestamp_format`` in the
    column map to be explicit.
    """
    sample = pc.drop_null(arr.slice(0, 2000))
    vals = [v for v in sample.to_pylist()[:200] if v and v.strip()]
    if not vals:
        return "iso"
    v = vals[0].strip()
    if _RE_EXACTEARTH.match(v):
        return "exactearth"
    if _RE_DMY_S.match(v) or _RE_DMY_M.match(v):
        # day first (European, DMA) unless the sample proves month first (a second field > 12)
        firsts = [x.strip().split("/", 2)[:2] for x in vals if "/" in x]
        month_first = any(int(b) > 12 for _, b in firsts if b.isdigit()) and not any(
            int(a) > 12 for a, _ in firsts if a.isdigit())
        date = "%m/%d/%Y" if month_first else "%d/%m/%Y"
        return f"{date} %H:%M:%S" if _RE_DMY_S.match(v) else f"{date} %H:%M"
    if all(_RE_NUMBER.match(x.strip()) for x in vals[:50]):
        return "epoch"
    return "iso"


def _epoch_unit(vals: np.ndarray, unit: str | None) -> str:
    if unit:
        return unit
    finite = np.abs(vals[np.isfinite(vals)])
    if not len(finite):
        return "s"
    m = float(np.median(finite[:10000]))
    return "s" if m < 1e11 else "ms" if m < 1e14 else "us" if m < 1e17 else "ns"


_UNIT_NS = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}


def _epoch_to_ts(vals: np.ndarray, unit: str | None) -> pa.Array:
    u = _epoch_unit(vals, unit)
    if u not in _UNIT_NS:
        from vesseltrack.errors import ConfigError

        raise ConfigError(f"timestamp_unit {u!r} is not supported; expected one of {list(_UNIT_NS)}; fix your --column-map file")
    ns = vals * _UNIT_NS[u]
    bad = ~np.isfinite(ns) | (np.abs(ns) > 9.2e18)
    i8 = np.where(bad, 0, ns).astype(np.int64)
    return pa.array(i8, type=pa.timestamp("ns", "UTC"), mask=bad)


def _iso(arr: pa.Array) -> pa.Array:
    for typ in (pa.timestamp("ns"), pa.timestamp("ns", "UTC")):
        try:
            return pc.cast(arr, typ)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    s = pd.to_datetime(pd.Series(arr.to_pandas(), dtype=object), format="ISO8601", utc=True, errors="coerce")
    return pa.array(schema.to_utc_ns(s))


_NS_PER = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def _in_ns_range(arr: pa.Array) -> pa.Array:
    """A timestamp array with the values nanoseconds cannot hold (e.g. 9999-12-31) made null, in
    whole numbers of its own unit (no float rounding, no overflow)."""
    per = _NS_PER[arr.type.unit]
    lo = -(-pd.Timestamp.min.value // per)
    hi = pd.Timestamp.max.value // per
    ints = pc.cast(arr, pa.int64())
    ok = pc.and_(pc.greater_equal(ints, lo), pc.less_equal(ints, hi))
    return pc.cast(pc.if_else(ok, ints, pa.scalar(None, pa.int64())), arr.type)


def time_column(arr: pa.Array, fmt: str | None, unit: str | None, millis: np.ndarray | None = None):
    """Timestamp column -> (datetime64[ns, UTC] Series with NaT, raw text of unparseable values or None).

    Accepts Arrow timestamps (any unit; naive taken as UTC), numbers (epoch; unit from
    ``timestamp_unit`` or guessed from magnitude) and text: ISO 8601 (offsets converted to UTC,
    naive taken as UTC), an explicit strptime ``fmt``, ``"epoch"`` or ``"exactearth"``
    (``YYYYMMDD_HHMMSS`` plus a Millisecond column).
    """
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    raw_bad = None
    utc_ns = pa.timestamp("ns", "UTC")
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        if pa.types.is_date(t):
            arr = pc.cast(arr, pa.timestamp("s"))
        try:  # naive values are taken as UTC; zoned ones are instants already
            out = pc.cast(arr, utc_ns)
        except pa.ArrowInvalid:  # beyond the ns range (years < 1678 or > 2261): missing
            out = pc.cast(_in_ns_range(arr), utc_ns)
    elif pa.types.is_integer(t) or pa.types.is_floating(t):
        out = _epoch_to_ts(_float_np(pc.cast(arr, pa.float64())), unit)
    else:
        if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            arr = pc.cast(arr, pa.string())
        fmt = fmt or detect_time_format(arr)
        if fmt == "epoch":
            out = _epoch_to_ts(to_float(arr), unit)
        elif fmt == "iso":
            out = _iso(arr)
        else:
            f = "%Y%m%d_%H%M%S" if fmt == "exactearth" else fmt
            out = pc.strptime(pc.utf8_trim_whitespace(arr), format=f, unit="ns", error_is_null=True)
        if out.type.tz is None:
            out = pc.cast(out, utc_ns)  # naive text is taken as UTC
        parsed_null = pc.is_null(out)
        bad = pc.and_(parsed_null, pc.invert(pc.is_null(arr)))
        if pc.any(bad).as_py():
            raw_bad = pd.Series(pc.if_else(bad, arr, pa.scalar(None, pa.string())).to_pandas(), dtype="str")
    series = pd.Series(out.to_pandas()) if not isinstance(out, pd.Series) else out
    series = series.astype("datetime64[ns, UTC]")
    if millis is not None:
        ms = np.nan_to_num(millis, nan=0.0)
        ms = np.where((ms >= 0) & (ms < 1000), ms, 0)
        series = series + pd.to_timedelta(ms.astype(np.int64), unit="ms")
    return series, raw_bad


def to_canonical(batch, mapping: dict[str, str], *, time_format: str | None, time_unit: str | None,
                 unrecognised: dict | None = None) -> dict:
    """Convert the mapped columns of an Arrow RecordBatch / Table to canonical pandas-ready columns.

    Returns {canonical name: numpy array or Series}, plus ``timestamp_raw`` (str Series, only
    when some timestamps could not be parsed). Ship-type texts no table knows are counted into
    ``unrecognised`` ({text: rows}) when given.
    """
    cols = {}
    names = batch.schema.names

    def get(canon):
        return batch.column(names.index(mapping[canon]))

    millis = to_float(get("millisecond")) if "millisecond" in mapping else None
    for canon, parts in DIMENSION_SUMS.items():
        if canon not in mapping and all(p in mapping for p in parts):
            a, b = (to_float(get(p)) for p in parts)
            cols[canon] = (a + b).astype(np.float32)  # 0 + 0 (not available) stays 0: clean.py's sentinel
    scales = column_scales(mapping)
    for canon in mapping:
        if canon == "millisecond" or canon in EXTRA:
            continue
        arr = get(canon)
        if canon == "mmsi":
            cols[canon] = mmsi_column(arr)
        elif canon == "timestamp":
            cols[canon], raw = time_column(arr, time_format, time_unit, millis)
            if raw is not None:
                cols["timestamp_raw"] = raw
        elif canon in CODED:
            cols[canon] = coded_column(arr, CODED[canon], unrecognised if canon == "vessel_type" else None)
        elif canon in TEXT:
            cols[canon] = text_column(arr)
        else:
            vals = to_float(arr, keep_float32=canon not in ("lat", "lon"))
            cols[canon] = vals * vals.dtype.type(scales[canon]) if canon in scales else vals
    return cols
