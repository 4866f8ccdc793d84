"""Canonical table specs: the contract between pipeline stages.

Every stage takes and returns DataFrames that match one of the specs below. Units live in column
names (``sog_kn``, ``distance_m``, ``duration_h``); timestamps are UTC-aware; AIS "not available"
values (lat 91, lon 181, SOG 102.3, COG 360, heading 511, draught 0) are NaN from ingest on.

Each spec is a tuple of :class:`Column` entries, declared like pyais declares message fields: name,
dtype, unit, range, nullability and a one-line meaning. :func:`validate` checks a frame against a
spec in both directions (no column missing, none extra) and :func:`empty` builds a typed empty frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vesseltrack.errors import SchemaError

UTC_NS = "datetime64[ns, UTC]"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str
    unit: str = ""
    description: str = ""
    nullable: bool = True
    min: float | None = None
    max: float | None = None


C = Column

# --- positions -----------------------------------------------------------------------------------
#: One row per AIS position report, after ingest and cleaning.
POSITIONS: tuple[Column, ...] = (
    C("mmsi", "int32", "", "Maritime Mobile Service Identity (9 digits; any positive id for anonymised data; "
      "MMSI + 1,000,000,000 for the second ship found broadcasting one MMSI)", False, 1, 2**31 - 1),
    C("timestamp", UTC_NS, "UTC", "time of the report", False),
    C("lat", "float64", "deg", "WGS84 latitude", False, -90, 90),
    C("lon", "float64", "deg", "WGS84 longitude", False, -180, 180),
    C("sog_kn", "float32", "kn", "speed over ground; NaN when not available (102.3)", True, 0, 102.2),
    C("cog_deg", "float32", "deg", "course over ground in [0, 360); NaN when not available (360)", True, 0, 360),
    C("heading_deg", "float32", "deg", "true heading in [0, 360); NaN when not available (511)", True, 0, 360),
    C("nav_status", "Int8", "", "AIS navigational status code 0..14; <NA> when undefined (15)", True, 0, 15),
    C("draught_m", "float32", "m", "reported static draught; NaN when not available (0)", True, 0, 25.5),
    C("imo", "Int32", "", "IMO number (7 digits); <NA> when not reported", True, 0, 9_999_999),
    C("vessel_name", "category", "", "broadcast name (attacker-controlled text)", True),
    C("call_sign", "category", "", "broadcast call sign (attacker-controlled text)", True),
    C("vessel_type", "Int16", "", "AIS ship and cargo type code 0..99 (80-89 tanker)", True, 0, 99),
    C("destination", "category", "", "broadcast destination (attacker-controlled text)", True),
    C("length_m", "float32", "m", "length overall", True, 0, 1023),
    C("width_m", "float32", "m", "beam", True, 0, 255),
    C("ais_class", "category", "", "transceiver class: 'A' or 'B'", True),
)

#: Columns a reader must deliver at least; the others are filled with NaN / <NA> when absent.
POSITIONS_REQUIRED = ("mmsi", "timestamp", "lat", "lon")

# --- per-step columns added by tracks.add_steps ----------------------------------------------------
#: Columns tracks.add_steps appends to POSITIONS (step from the previous report of the same vessel).
STEPS: tuple[Column, ...] = (
    C("dt_s", "float64", "s", "seconds since this vessel's previous report; NaN at its first", True, 0),
    C("distance_m", "float64", "m", "great-circle distance from the previous report", True, 0),
    C("implied_speed_kn", "float64", "kn", "distance_m / dt_s in knots; NaN when dt_s == 0", True, 0),
    C("segment_id", "int64", "", "running id of a contiguous track piece (new vessel or gap)", False, 0),
)

#: Column the pipeline adds to the steps once zones and stop areas are known (stopareas.py).
STEP_CONTEXT: tuple[Column, ...] = (
    C(
        "context",
        "int8",
        "",
        "position context code: 0 at sea, 1 port, 2 anchorage, 3 berth (stopareas.CONTEXTS)",
        False,
        0,
        3,
    ),
)

# --- rejects ---------------------------------------------------------------------------------------
#: One row per input row not used. ``row`` is the 1-based data row (CSV: excluding the header;
#: NMEA: the line number) within ``file``.
REJECTS: tuple[Column, ...] = (
    C("file", "str", "", "input file the row came from", False),
    C("row", "int64", "", "1-based row (CSV data row) or line (NMEA) number in that file", False, 1),
    C("reason", "str", "", "reason code, one of REJECT_REASONS", False),
    C("detail", "str", "", "the offending value(s), for a human", True),
)

#: Reason codes for rejected rows, with their meaning (documented in README).
REJECT_REASONS: dict[str, str] = {
    "malformed_row": "the row could not be split into the file's columns (or a quoted field in it runs past its line: the detail gives the lines)",  # noqa: E501
    "bad_encoding": "the row holds bytes that are not UTF-8 text; re-encode the file to UTF-8",
    "missing_mmsi": "no MMSI",
    "non_vessel": "not a ship: aid to navigation (99x), base station (00x), SART/MOB/EPIRB (97x) or SAR aircraft (111x); counted apart, not in rejects.csv",  # noqa: E501
    "invalid_mmsi": "MMSI is not a 9-digit number in 100000000..999999999",
    "bad_timestamp": "timestamp missing or unparseable",
    "missing_position": "latitude or longitude missing or 'not available' (91 / 181)",
    "lat_out_of_range": "latitude outside -90..90",
    "lon_out_of_range": "longitude outside -180..180",
    # NMEA-specific codes (ingest/nmea.py)
    "bad_checksum": "NMEA checksum does not match",
    "malformed_sentence": "NMEA sentence whose fields (fragment count/number, sequence id, channel, fill bits) are invalid",  # noqa: E501
    "incomplete_multipart": "a multi-part message with parts missing",
    "bad_payload": "AIS payload could not be decoded",
    "no_timestamp": "NMEA sentence with no time and no --assume-time",
}

# --- events ----------------------------------------------------------------------------------------
EVENT_TYPES = ("gap", "port_visit", "encounter", "loitering", "spoofing", "identity_clash", "feed_artefact")

#: One row per detected event. The first block is common to all event types; the second holds
#: type-specific columns, NaN / empty where they do not apply.
EVENTS: tuple[Column, ...] = (
    C("event_id", "str", "", "content hash of type|mmsi|start_time|start_lat|start_lon", False),
    C("event_type", "str", "", "one of EVENT_TYPES", False),
    C("mmsi", "int32", "", "vessel", False),
    C("other_mmsi", "Int32", "", "the other vessel (encounters, identity clashes)", True),
    C("start_time", UTC_NS, "UTC", "", False),
    C("end_time", UTC_NS, "UTC", "", False),
    C("start_lat", "float64", "deg", "", False, -90, 90),
    C("start_lon", "float64", "deg", "", False, -180, 180),
    C("end_lat", "float64", "deg", "NaN for a gap still open at the end of the data", True, -90, 90),
    C("end_lon", "float64", "deg", "NaN for a gap still open at the end of the data", True, -180, 180),
    C("duration_h", "float64", "h", "", False, 0),
    C("distance_m", "float64", "m", "great-circle distance start -> end; NaN for an open gap", True, 0),
    C("port", "str", "", "port of a port visit; nearest sensitive port of other events", True),
    C(
        "context",
        "str",
        "",
        "where it happened (stopareas.CONTEXTS): 'at sea', 'anchorage', 'berth' (quays, marinas), "
        "'port' (a gazetteer port zone), 'inland' (a river, canal or basin inside the coastline); gaps: where they started; "  # noqa: E501
        "encounters, loitering: the median position",
        True,
    ),
    C("score", "float64", "", "0..1, higher = more anomalous", True, 0, 1),
    C("reasons", "str", "", "plain-words explanation", True),
    # vessel static data in force at the event start
    C("imo", "Int32", "", "", True),
    C("vessel_name", "str", "", "", True),
    C("vessel_type", "Int16", "", "", True),
    C("voyage_id", "str", "", "voyage the event belongs to", True),
    # type-specific
    C("implied_speed_kn", "float64", "kn", "gap: distance_m / duration_h", True, 0),
    C("is_closed", "boolean", "", "gap: False when still open at the end of the data", True),
    C("ais_class", "str", "", "gap: transceiver class at its start", True),
    C("start_shore_km", "float64", "km", "gap: distance from shore at its start (negative inland)", True),
    C("end_shore_km", "float64", "km", "gap: distance from shore at its end", True),
    C("start_nearest_port_km", "float64", "km", "gap: distance from its start to the nearest port of any kind "
      "(centre of a gazetteer port zone; see start_sensitive_port_km)", True, 0),
    C("end_nearest_port_km", "float64", "km", "gap: distance from its end to the nearest port of any kind", True, 0),
    C("positions_before_12h", "Int64", "", "gap: reports of the vessel in the 12 h before (start included)", True, 0),
    C("positions_after_12h", "Int64", "", "gap: reports of the vessel in the 12 h after (end included)", True, 0),
    C("reception_start_per_h", "float64", "1/h", "gap: reports per hour ships are heard at in its start cell", True, 0),
    C("reception_end_per_h", "float64", "1/h", "gap: reports per hour ships are heard at in its end cell", True, 0),
    C(
        "silence_per_day_log10",
        "float64",
        "",
        "gap: log10 of how often ships there fall silent that long, per ship-day (-3: once in 1,000)",
        True,
        -6,
    ),
    C("others_heard", "Int64", "", "gap: reports of other vessels in its start/end cells during it", True, 0),
    C(
        "in_port",
        "boolean",
        "",
        "gap: both ends inside one port zone, or both ends in berths, anchorages or port zones "
        "within 10 km, still when heard again (e.g. moored or anchored with AIS off), or heard again lying still in the "  # noqa: E501
        "learnt berth or anchorage it last lay still in (a round trip from its home berth)",
        True,
    ),
    C(
        "likely_dark",
        "boolean",
        "",
        "gap: a moving gap not in port, rare under local reception and with time for a detour "
        "(an open gap only on strong evidence: detect/gaps.py)",
        True,
    ),
    C(
        "gap_kind",
        "str",
        "",
        "gap: 'moving', 'stationary' (AIS off while lying still: restarted where it stopped) or "
        "'open' (still silent at the end of the data)",
        True,
    ),
    C("at_sensitive_port", "boolean", "", "gap: started inside a sensitive port zone", True),
    C(
        "at_extent_edge",
        "boolean",
        "",
        "gap: an end lies at sea within 10 km of the edge of the data's extent (the ship may "
        "have left the covered box): never likely dark, not counted in the voyage's dark hours",
        True,
    ),
    C(
        "start_sensitive_port_km",
        "float64",
        "km",
        "gap: distance from its start to the nearest SENSITIVE port (any distance, even across an ocean; "
        "start_nearest_port_km is the nearest port of any kind)",
        True,
        0,
    ),
    C(
        "end_sensitive_port_km",
        "float64",
        "km",
        "gap: distance from its end to the nearest SENSITIVE port (NaN for an open gap; end_nearest_port_km is the "
        "nearest port of any kind)",
        True,
        0,
    ),
    C("draught_before_m", "float64", "m", "draught before (gap), on arrival (port visit), at the start (others)", True),
    C("draught_after_m", "float64", "m", "draught after (gap), on departure (port visit), at the end (others)", True),
    C("destination_before", "str", "", "gap: destination before", True),
    C("destination_after", "str", "", "gap: destination after", True),
    C("name_before", "str", "", "gap: vessel name before", True),
    C("name_after", "str", "", "gap: vessel name after", True),
    C("call_sign_before", "str", "", "gap: call sign before", True),
    C("call_sign_after", "str", "", "gap: call sign after", True),
    C("imo_before", "Int32", "", "gap: IMO before", True),
    C("imo_after", "Int32", "", "gap: IMO after", True),
    C("typical_speed_kn", "float64", "kn", "gap: the vessel's sustainable speed (90th percentile under way)", True, 0),
    C("spare_h", "float64", "h", "gap: duration minus the straight run between its ends at typical speed", True),
    C("reachable_ports", "str", "", "gap: sensitive ports reachable with time to stay, and how long", True),
    # where and when to look in satellite imagery (satellite.py): likely-dark gaps, STS candidates at sea
    C("search_min_lat", "float64", "deg", "likely-dark gap, STS candidate at sea: southern edge of the area to "
      "search in satellite imagery (gap: every point the ship could have reached at typical_speed_kn and still "
      "be heard again where it was; open gap: reached from its start; STS: 5 km around the median position)",
      True, -90, 90),
    C("search_min_lon", "float64", "deg", "western edge of the search area (greater than search_max_lon when the "
      "area crosses the antimeridian; -180 when it covers every longitude)", True, -180, 180),
    C("search_max_lat", "float64", "deg", "northern edge of the search area", True, -90, 90),
    C("search_max_lon", "float64", "deg", "eastern edge of the search area", True, -180, 180),
    C("search_start", UTC_NS, "UTC", "start of the time window to search imagery in (the event's start)", True),
    C("search_end", UTC_NS, "UTC", "end of the time window to search imagery in (the event's end; an open gap: "
      "the end of the data)", True),
    C("sentinel1_url", "str", "", "Copernicus Browser link: Sentinel-1 radar (IW, VV+VH: sees ships with AIS off, "
      "day or night, through cloud) over the search area, on the UTC days of the window; opened by hand, "
      "nothing is fetched", True),
    C("sentinel2_url", "str", "", "Copernicus Browser link: Sentinel-2 L2A optical true colour over the search "
      "area, on the UTC days of the window", True),
    C("port_country", "str", "", "port_visit: country of the port", True),
    C("port_sensitive", "boolean", "", "port_visit: the port is on the sensitive list", True),
    C("n_positions", "Int64", "", "positions inside the event (0 for a gap)", True, 0),
    # encounters, loitering (detect/encounters.py, detect/loitering.py)
    C("median_separation_m", "float64", "m", "encounter: median distance between the two vessels while close", True, 0),
    C(
        "median_speed_kn",
        "float64",
        "kn",
        "encounter: the larger of the two vessels' median speeds while close",
        True,
        0,
    ),
    C("mean_speed_kn", "float64", "kn", "loitering: distance sailed along reports / duration", True, 0),
    C("other_vessel_name", "str", "", "encounter: broadcast name of other_mmsi", True),
    C("other_vessel_type", "Int16", "", "encounter: AIS type of other_mmsi", True),
    C("other_draught_before_m", "float64", "m", "encounter: other_mmsi's draught in force at the start", True),
    C("other_draught_after_m", "float64", "m", "encounter: other_mmsi's latest draught up to 12 h after the end", True),
    C("shore_km", "float64", "km", "encounter, loitering: distance from shore of the median position", True),
    C(
        "nearest_port_km",
        "float64",
        "km",
        "encounter, loitering: distance from the median position to the nearest port centre",
        True,
        0,
    ),
    C(
        "possible_dark_sts",
        "boolean",
        "",
        "loitering: a merchant ship stopped at sea with no visible partner (one-sided STS?)",
        True,
    ),
    C(
        "sts_candidate",
        "boolean",
        "",
        "encounter: a possible ship-to-ship transfer: at sea, or at an anchorage between a tanker "
        "and a tanker or bunker-type vessel (not moored at a berth, not in a port zone)",
        True,
    ),
    # spoofing, identity clashes (detect/identity.py)
    C("max_implied_speed_kn", "float64", "kn", "spoofing: largest implied speed of its jumps", True, 0),
    C(
        "jump_distance_m",
        "float64",
        "m",
        "spoofing: length of the jump away; identity_clash: median jump between the two ships",
        True,
        0,
    ),
    C("spoofed_lat", "float64", "deg", "spoofing: mean latitude of the false positions", True, -90, 90),
    C("spoofed_lon", "float64", "deg", "spoofing: mean longitude of the false positions", True, -180, 180),
    C("spoofed_extent_km", "float64", "km", "spoofing: largest distance of a false position from their mean", True, 0),
    C(
        "returned",
        "boolean",
        "",
        "spoofing: the track jumped back near where it left (always, for spoofing); feed_artefact: "
        "False for a one-way jump or a single impossible step",
        True,
    ),
    C(
        "artefact",
        "str",
        "",
        "feed_artefact (a data-quality event, not a finding): 're-stamp burst' (many vessels jumped "
        "within minutes in one area), 'same-second positions', 'time jitter' (the off positions lie on the vessel's own track) "  # noqa: E501
        "or 'one-way jump' (a bad fix that never returns)",
        True,
    ),
    C("other_lat", "float64", "deg", "identity_clash: position of the second ship at the start", True, -90, 90),
    C("other_lon", "float64", "deg", "identity_clash: position of the second ship at the start", True, -180, 180),
    C("n_switches", "Int64", "", "identity_clash: impossible jumps between the two ships", True, 0),
)

# --- voyages ---------------------------------------------------------------------------------------
#: Model features, in the order the scorer sees them. Each is a column of VOYAGES.
VOYAGE_FEATURES: tuple[Column, ...] = (
    C("duration_h", "float64", "h", "voyage duration", False, 0),
    C("n_positions", "int64", "", "positions in the voyage", False, 1),
    C("positions_per_h", "float64", "1/h", "reporting rate", False, 0),
    C("n_gaps", "int64", "", "gap events in the voyage", False, 0),
    C("dark_hours", "float64", "h", "sum of gap durations", False, 0),
    C("sea_dark_hours", "float64", "h", "sum of durations of gaps not inside a port", False, 0),
    C("dark_fraction", "float64", "", "sea_dark_hours / duration_h", False, 0, 1),
    C("longest_gap_h", "float64", "h", "longest gap", False, 0),
    C("max_gap_implied_speed_kn", "float64", "kn", "largest implied speed across a gap", False, 0),
    C("gap_near_sensitive_km", "float64", "km", "closest approach of a gap end to a sensitive port (capped)", False, 0),
    C("max_gap_spare_h", "float64", "h", "largest spare time in a gap (time for a detour)", False, 0),
    C(
        "likely_dark_hours",
        "float64",
        "h",
        "sum of durations of likely-dark gaps (unexplained by reception, at sea, time for a detour)",
        False,
        0,
    ),
    C(
        "gap_improbability",
        "float64",
        "",
        "largest -silence_per_day_log10 of the voyage's gaps (0 when none is unusual)",
        False,
        0,
    ),
    C("sensitive_port_calls", "int64", "", "visits to sensitive ports that start or end the voyage", False, 0),
    C("draught_change_m", "float64", "m", "largest absolute change in reported draught", False, 0),
    C("max_implied_speed_kn", "float64", "kn", "largest implied speed between consecutive reports", False, 0),
    C("encounter_hours", "float64", "h", "hours alongside other vessels at sea (ship-to-ship encounters)", False, 0),
    C(
        "encounter_draught_change_m",
        "float64",
        "m",
        "largest draught change of either vessel across an encounter",
        False,
        0,
    ),
    C("loitering_hours", "float64", "h", "hours loitering at sea, away from ports and shore", False, 0),
    C("dark_sts_hours", "float64", "h", "hours loitering with no visible partner (possible one-sided STS)", False, 0),
    C("spoofing_events", "int64", "", "impossible jumps away and back", False, 0),
    C("identity_clash", "int64", "", "1 when the MMSI is broadcast by two ships at once", False, 0, 1),
    C("identity_changes", "int64", "", "extra names, IMOs and call signs the MMSI broadcast in the data", False, 0),
    C(
        "invalid_identity",
        "int64",
        "",
        "1 for an unallocated MID, a failed IMO check digit, placeholder speeds or reports inland",
        False,
        0,
        1,
    ),
    C("is_tanker", "int64", "", "1 when AIS type is 80-89", False, 0, 1),
)

VOYAGES: tuple[Column, ...] = (
    C("voyage_id", "str", "", "content hash of mmsi|start_time", False),
    C("mmsi", "int32", "", "", False),
    C("imo", "Int32", "", "", True),
    C("vessel_name", "str", "", "", True),
    C("vessel_type", "Int16", "", "", True),
    C("start_time", UTC_NS, "UTC", "", False),
    C("end_time", UTC_NS, "UTC", "", False),
    C("start_port", "str", "", "port the voyage leaves; empty when it starts with the data", True),
    C("end_port", "str", "", "port the voyage reaches; empty when it ends with the data", True),
    C("ports", "str", "", "'START -> END' for a human", True),
    C(
        "population",
        "str",
        "",
        "vessel population (features.POPULATIONS): alerts rank merchant ships by default",
        False,
    ),
    C("distance_m", "float64", "m", "distance sailed along reported positions", False, 0),
    *VOYAGE_FEATURES,
    C("identity_issues", "str", "", "which identity checks failed (the causes of invalid_identity), in words", True),
    C(
        "watchlist_match",
        "str",
        "",
        "strong watchlist matches of the vessel (IMO or MMSI; --watchlist), a finding: 'IMO 9358010 is on OFAC SDN "
        "(RUSSIA-EO14024) as MAIA-1'",
        True,
    ),
    C(
        "score",
        "float64",
        "",
        "0..1, higher = more anomalous: the isolation forest's score, raised by detector findings (scoring.py)",
        True,
        0,
        1,
    ),
    C("reasons", "str", "", "plain-words explanation", True),
    C("contributions", "str", "", "the model features that pushed the score up most, with how much (occlusion)", True),
)

# --- stop areas ------------------------------------------------------------------------------------
#: One row per stop cell learnt from the data (stopareas.py): where several distinct vessels lay
#: still. Written as stop_areas.csv; ``--stop-areas`` reads it back to serve later runs.
STOP_AREAS: tuple[Column, ...] = (
    C("format", "str", "", "file format tag, 'vesseltrack-stop-areas/1'", False),
    C("cell_m", "float64", "m", "cell size", False, 0),
    C("row", "int64", "", "cell row: floor(lat * rows per degree), rows per degree = round(111195 m / cell_m)", False),
    C(
        "col",
        "int64",
        "",
        "cell column: floor(lon * cos(centre of its 1-degree latitude band) * rows per degree)",
        False,
    ),
    C("lat", "float64", "deg", "cell centre latitude", False, -90, 90),
    C("lon", "float64", "deg", "cell centre longitude", False, -180, 180),
    C("area", "int64", "", "stop area the cell belongs to (touching cells form one area)", False, 0),
    C("kind", "str", "", "'berth', 'anchorage' or 'marina'", False),
    C("name", "str", "", "nearest gazetteer port within 30 km; empty when none", True),
    C("n_vessels", "int64", "", "distinct vessels that stopped in the area", False, 0),
)

# --- cargo (cargo.py) --------------------------------------------------------------------------------
#: One row per track: what AIS static data says about the ship, for cargo estimates. Written as vessels.csv.
PARTICULARS: tuple[Column, ...] = (
    C("mmsi", "int32", "", "track (an MMSI, or MMSI + 1,000,000,000 for the second ship sharing one)", False),
    C("imo", "Int32", "", "last IMO number broadcast", True),
    C("vessel_name", "str", "", "last name broadcast (attacker-controlled text)", True),
    C("vessel_type", "Int16", "", "highest AIS type code broadcast", True, 0, 99),
    C("population", "str", "", "vessel population (features.POPULATIONS)", False),
    C("length_m", "float64", "m", "length overall, the largest broadcast", True, 0),
    C("width_m", "float64", "m", "beam, the largest broadcast", True, 0),
    C("min_draught_m", "float64", "m", "smallest draught broadcast", True, 0),
    C("max_draught_m", "float64", "m", "largest draught broadcast", True, 0),
    C("draught_changes", "int64", "", "times the broadcast draught changed", False, 0),
    C("draught_maintained", "boolean", "", "the draught changed at least once in the data", False),
    C(
        "dimensions_plausible",
        "boolean",
        "",
        "beam/length in 0.08-0.30 and draught/beam in 0.10-0.90 (cargo.BEAM_LENGTH, DRAUGHT_BEAM)",
        False,
    ),
    C("cargo_note", "str", "", "why the ship gets no cargo estimate from draught, if it does not", True),
)

#: One row per cargo operation (cargo.py): a draught change across a port visit, a ship-to-ship
#: encounter or a gap, or a capacity bound. Written as cargo.csv; flows.csv sums its counted rows.
CARGO: tuple[Column, ...] = (
    C("op_id", "str", "", "event_id:mmsi (an encounter is one event, two ships)", False),
    C("event_id", "str", "", "the port visit, encounter or gap (events.csv)", False),
    C("event_type", "str", "", "'port_visit', 'encounter' or 'gap'", False),
    C("mmsi", "int32", "", "", False),
    C("imo", "Int32", "", "", True),
    C("vessel_name", "str", "", "", True),
    C("vessel_type", "Int16", "", "", True),
    C("population", "str", "", "vessel population (features.POPULATIONS)", False),
    C("start_time", UTC_NS, "UTC", "start of the event", False),
    C("end_time", UTC_NS, "UTC", "end of the event", False),
    C("start_lat", "float64", "deg", "", False, -90, 90),
    C("start_lon", "float64", "deg", "", False, -180, 180),
    C("where", "str", "", "'port', 'berth', 'sts' (ship-to-ship candidate), 'dark' (likely-dark gap) or "
      "'port (AIS off)' (a gap in port)", False),
    C("place", "str", "", "port, 'STS at sea with NAME', 'dark, could have reached NAMPO, RAJIN' or "
      "'in port, AIS off'", False),
    C("country", "str", "", "port's country as the gazetteer writes it (ISO alpha-2 code or name); empty at sea", True),
    C("direction", "str", "", "'load' (draught rose) or 'discharge' (draught fell)", False),
    C(
        "basis",
        "str",
        "",
        "'draught' (reported draught change x TPC) or 'capacity bound' (a tanker at an oil terminal whose draught "
        "is not maintained: deadweight from dimensions x fill factor, an upper-end figure, not a measurement)",
        False,
    ),
    C("draught_before_m", "float64", "m", "last draught reported at or before the start", True),
    C(
        "draught_after_m",
        "float64",
        "m",
        "last draught reported up to 48 h after the end (cargo.SETTLE_H) or the ship's next event",
        True,
    ),
    C("draught_change_m", "float64", "m", "after - before; NaN for a capacity bound", True),
    C("length_m", "float64", "m", "AIS length overall", False, 0),
    C("width_m", "float64", "m", "AIS beam", False, 0),
    C("tpc_central_t_cm", "float64", "t/cm", "tonnes per centimetre immersion, central estimate", True, 0),
    C("tonnes_low", "float64", "t", "cargo moved, low end (smallest coefficients, change - 0.1 m)", False, 0),
    C("tonnes_central", "float64", "t", "cargo moved, central estimate", False, 0),
    C("tonnes_high", "float64", "t", "cargo moved, high end (largest coefficients, change + 0.1 m)", False, 0),
    C("barrels_low", "float64", "bbl", "tankers only (else NaN): tonnes_low x the product's barrels/tonne", True, 0),
    C("barrels_central", "float64", "bbl", "tankers only (NaN for other ships)", True, 0),
    C("barrels_high", "float64", "bbl", "tankers only (NaN for other ships)", True, 0),
    C("product", "str", "", "product assumed for barrels (--product; products.PRODUCTS)", False),
    C("origin", "str", "", "trip: loading place ('not seen loading' when the data shows none)", True),
    C("destination", "str", "", "trip: discharge place, or where the ship went next if no discharge is reported", True),
    C("to_dprk", "boolean", "", "trip: delivered to a North Korean port, or a likely-dark gap with one in reach", True),
    C(
        "sensitive_route",
        "boolean",
        "",
        "trip: Russian Far East -> North Korea (directly, dark or via STS at sea), or North Korea -> Russia",
        True,
    ),
    C("trip_time", UTC_NS, "UTC", "trip: when it counts in flows (the delivery, else the loading)", True),
    C("counted", "boolean", "", "this row carries its trip's figures in flows.csv (one row per trip)", True),
)

#: Trips summed per month, route and basis (cargo.flows). Written as flows.csv.
FLOWS: tuple[Column, ...] = (
    C("month", "str", "", "YYYY-MM of the trips' delivery (cargo.trips)", False),
    C("origin", "str", "", "", False),
    C("destination", "str", "", "", False),
    C("basis", "str", "", "'draught' or 'capacity bound' (never summed together)", False),
    C("sensitive_route", "boolean", "", "see cargo.csv", False),
    C("to_dprk", "boolean", "", "see cargo.csv", False),
    C("trips", "int64", "", "", False, 1),
    C("vessels", "int64", "", "", False, 1),
    C("tonnes_low", "float64", "t", "", False, 0),
    C("tonnes_central", "float64", "t", "", False, 0),
    C("tonnes_high", "float64", "t", "", False, 0),
    C("barrels_low", "float64", "bbl", "tankers' trips (empty when the route had none)", True, 0),
    C("barrels_central", "float64", "bbl", "", True, 0),
    C("barrels_high", "float64", "bbl", "", True, 0),
    C("product", "str", "", "", False),
)

# --- watchlists (watchlist.py) ---------------------------------------------------------------------
#: One row per listed vessel, read from a sanctions list (OFAC SDN.CSV, OpenSanctions maritime CSV, plain CSV).
WATCHLIST: tuple[Column, ...] = (
    C("list", "str", "", "list the entry is on, e.g. 'OFAC SDN', 'OpenSanctions', or a plain CSV's list column", False),
    C("entry_id", "str", "", "the entry's id on its list (OFAC ent_num, OpenSanctions id, plain CSV data row)", False),
    C("name", "str", "", "listed vessel name as written on the list", True),
    C("former_names", "str", "", "former names (OFAC f.k.a.), '; '-joined", True),
    C("aliases", "str", "", "other current names (OFAC a.k.a., OpenSanctions aliases), '; '-joined", True),
    C("imo", "Int32", "", "listed IMO number (7 digits); <NA> when the entry has none", True, 0, 9_999_999),
    C("imo_valid", "boolean", "", "the IMO number's check digit is right (False when there is no IMO)", False),
    C("mmsi", "Int32", "", "listed MMSI (9 digits); <NA> when the entry has none", True, 0, 999_999_999),
    C("call_sign", "str", "", "listed call sign", True),
    C("flag", "str", "", "listed flag (country name as the list writes it)", True),
    C("former_flags", "str", "", "former flags (OFAC 'Former Vessel Flag'), '; '-joined", True),
    C("programs", "str", "", "sanctions programs, '; '-joined, e.g. 'IRAN; NPWMD' (plain CSV: its note)", True),
    C("vessel_type", "str", "", "vessel type in the list's own words, e.g. 'Crude/Oil Products Tanker'", True),
    C("source", "str", "", "file name the entry was read from", False),
)

#: One row per vessel seen x list entry it matched, the strongest way it matched.
WATCHLIST_MATCHES: tuple[Column, ...] = (
    C("mmsi", "int32", "", "the AIS track's MMSI", False, 1, 2**31 - 1),
    C("imo", "Int32", "", "IMO number the vessel broadcast; <NA> when none", True, 0, 9_999_999),
    C("vessel_name", "str", "", "name the vessel broadcast (attacker-controlled text)", True),
    C("matched_on", "str", "", "'imo', 'mmsi', 'name' (name or alias) or 'former_name' (f.k.a.)", False),
    C("strength", "str", "", "'strong' (a finding), 'name' (exact name only) or 'weak' (similar name, "
      "or an MMSI the broadcast IMO contradicts)", False),
    C("similarity", "float64", "", "name similarity, 0..1 (character n-gram cosine); 1.0 for exact matches", False,
      0, 1),
    C("list", "str", "", "list of the entry", False),
    C("entry_id", "str", "", "the entry's id on its list", False),
    C("listed_name", "str", "", "the entry's name", True),
    C("listed_imo", "Int32", "", "the entry's IMO number", True, 0, 9_999_999),
    C("listed_mmsi", "Int32", "", "the entry's MMSI", True, 0, 999_999_999),
    C("programs", "str", "", "the entry's programs, '; '-joined", True),
    C("flag", "str", "", "the entry's listed flag", True),
    C("reason", "str", "", "plain-words phrase citing list, program and identifier, e.g. "
      "'IMO 9358010 is on OFAC SDN (RUSSIA-EO14024) as MAIA-1'", False),
)

# --- alerts ----------------------------------------------------------------------------------------
ALERTS: tuple[Column, ...] = (
    C("rank", "int64", "", "1 = most anomalous", False, 1),
    C(
        "score",
        "float64",
        "",
        "0..1, higher = more anomalous; a voyage's alert takes its likely-dark gap's score when higher",
        False,
        0,
        1,
    ),
    C("subject", "str", "", "'voyage' or an event type", False),
    C("mmsi", "int32", "", "", False),
    C("imo", "Int32", "", "", True),
    C("vessel_name", "str", "", "", True),
    C("vessel_type", "Int16", "", "", True),
    C("start_time", UTC_NS, "UTC", "", False),
    C("end_time", UTC_NS, "UTC", "", False),
    C("ports", "str", "", "", True),
    C("reasons", "str", "", "", True),
    C("ref_id", "str", "", "voyage_id or event_id of the subject", False),
)

SPECS = {"positions": POSITIONS, "rejects": REJECTS, "events": EVENTS, "voyages": VOYAGES, "alerts": ALERTS,
         "stop_areas": STOP_AREAS, "vessels": PARTICULARS, "cargo": CARGO, "flows": FLOWS, "watchlist": WATCHLIST,
         "watchlist_matches": WATCHLIST_MATCHES}


def names(spec: tuple[Column, ...]) -> list[str]:
    return [c.name for c in spec]


def _pandas_dtype(dtype: str):
    if dtype == "str":
        return object
    return dtype


@dataclass(frozen=True)
class _Plan:
    """What :func:`conform` and :func:`empty` need of a spec, built once per spec (see :func:`_plan`)."""

    dtypes: tuple  # resolved pandas dtype of each column, in spec order (``object`` for "str")
    empty: pd.DataFrame  # the typed empty frame; handed out as copies only
    missing: dict  # column name -> length-1 all-missing array of its dtype (None: cannot be missing)


#: id(spec) -> (spec, plan). Holding the spec keeps its id from being reused by another object.
_PLANS: dict[int, tuple[tuple[Column, ...], _Plan]] = {}


def _plan(spec: tuple[Column, ...]) -> _Plan:
    """The spec's resolved dtypes, typed empty frame and missing-value templates, built on first use.

    Resolving dtype names and building 85 typed Series cost ~0.1 s per call (pandas' per-column
    overhead); the pipeline conforms a table ~8 times per partition, so this is done once per spec.
    """
    hit = _PLANS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1]
    dtypes = tuple(pd.api.types.pandas_dtype(_pandas_dtype(c.dtype)) for c in spec)
    frame = pd.DataFrame({c.name: pd.Series([], dtype=_pandas_dtype(c.dtype)) for c in spec})
    missing = {}
    for c in spec:
        try:
            missing[c.name] = _array(_cast(pd.Series([None], dtype=object), c))
        except (TypeError, ValueError):  # a non-nullable numpy dtype (int32...): no missing value
            missing[c.name] = None
    plan = _Plan(dtypes=dtypes, empty=frame, missing=missing)
    _PLANS[id(spec)] = (spec, plan)
    return plan


def _array(s: pd.Series):
    """The values of ``s`` as a numpy array (numpy dtypes) or its ExtensionArray."""
    return s.to_numpy() if isinstance(s.dtype, np.dtype) else s.array


def empty(spec: tuple[Column, ...]) -> pd.DataFrame:
    """A typed empty frame with exactly the spec's columns."""
    return _plan(spec).empty.copy()


def to_utc_ns(s: pd.Series) -> pd.Series:
    """UTC-aware datetimes of any resolution as ``datetime64[ns, UTC]``. Times nanoseconds cannot
    hold (outside 1677-09-21 .. 2262-04-11, e.g. the placeholder 9999-12-31) become NaT: a row
    with such a time is a ``bad_timestamp`` reject, never an overflow error."""
    if s.dtype == UTC_NS:
        return s
    lo, hi = pd.Timestamp.min.tz_localize("UTC"), pd.Timestamp.max.tz_localize("UTC")
    ok = s.notna() & (s >= lo) & (s <= hi)
    return s.where(ok).astype(UTC_NS)  # type: ignore[call-overload]  # a dtype name


def _cast(s: pd.Series, col: Column) -> pd.Series:
    """``s`` as ``col``'s dtype: text with None for missing, UTC nanoseconds, numbers from objects."""
    if col.dtype == "str":
        return s.astype(object).where(s.notna(), None)
    if col.dtype == UTC_NS:
        return to_utc_ns(pd.to_datetime(s, utc=True))
    if col.dtype in ("boolean", "category"):
        return s.astype(col.dtype)  # type: ignore[call-overload]
    if s.dtype == object:  # e.g. a column of None added for a table that lacks it
        s = pd.to_numeric(s)
    return s.astype(col.dtype)  # type: ignore[call-overload]


def conform(df: pd.DataFrame, spec: tuple[Column, ...], *, fill_missing: bool = False) -> pd.DataFrame:
    """A new frame with exactly the spec's columns, in its order, each cast to its dtype, and a fresh index.

    Columns of ``df`` outside the spec are dropped. A spec column that ``df`` lacks is an error,
    unless ``fill_missing``: then it is added with every value missing.
    """
    missing = [c.name for c in spec if c.name not in df.columns]
    if missing and not fill_missing:
        raise SchemaError(f"columns {missing} missing; expected {names(spec)}; received {list(df.columns)}")
    plan = _plan(spec)
    n = len(df)
    if n == 0 and not any(c.dtype == "category" and c.name in df.columns for c in spec):
        # Casting an empty column gives the spec's empty column, whatever its dtype; except to "category",
        # whose categories keep the input's categories (or their dtype: object or str).
        return plan.empty.copy()
    take = np.zeros(n, dtype=np.intp)
    cols = {}
    for col, dtype in zip(spec, plan.dtypes):
        if col.name not in df.columns:
            template = plan.missing[col.name]
            cols[col.name] = (template.take(take) if template is not None
                              else _array(_cast(pd.Series([None] * n, dtype=object), col)))
            continue
        s = df[col.name]
        if col.dtype == "str":  # as _cast: objects, None for every missing value (NaN, pd.NA, NaT)
            values = s.to_numpy(dtype=object)
            isna = pd.isna(values)
            if isna.any():
                values = values.copy()  # may be df's own array
                values[isna] = None
            cols[col.name] = values
        elif _is_dtype(s.dtype, dtype):  # already cast: the values as they are
            cols[col.name] = _array(s)
        else:
            cols[col.name] = _array(_cast(s, col))
    # Numpy arrays of text objects would be inferred as pandas' str dtype: they go in as object Series, all on
    # one index object so that pandas does not realign them.
    index = pd.RangeIndex(n)
    for name, values in cols.items():
        if values.dtype == object:
            cols[name] = pd.Series(values, index=index, dtype=object, copy=False)
    return pd.DataFrame(cols, index=index)  # copies every column (dict input): the result shares no memory with df


def _is_dtype(dt, dtype) -> bool:
    """``dt`` is ``dtype`` exactly, so that casting to it would change nothing (categories kept as they are)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return isinstance(dt, pd.CategoricalDtype)
    if isinstance(dtype, pd.DatetimeTZDtype):  # the same tz object too: _cast would not swap it
        return isinstance(dt, pd.DatetimeTZDtype) and dt.unit == dtype.unit and dt.tz is dtype.tz
    return dt == dtype


def _dtype_ok(series: pd.Series, col: Column) -> bool:
    dt = series.dtype
    if col.dtype == "str":
        return pd.api.types.is_object_dtype(dt) or pd.api.types.is_string_dtype(dt)
    if col.dtype == "category":
        return isinstance(dt, pd.CategoricalDtype)
    if col.dtype == UTC_NS:
        return isinstance(dt, pd.DatetimeTZDtype) and str(dt.tz) == "UTC"
    return str(dt) == col.dtype


def validate(df: pd.DataFrame, spec: tuple[Column, ...], *, name: str = "table", extra_ok: bool = False) -> None:
    """Raise SchemaError unless ``df`` has exactly the spec's columns, dtypes, nullability and ranges.

    Checks both directions: every spec column is present and, unless ``extra_ok``, every column of
    ``df`` is in the spec.
    """
    expected = names(spec)
    missing = [c for c in expected if c not in df.columns]
    if missing:
        raise SchemaError(f"{name}: columns {missing} missing; expected {expected}; received {list(df.columns)}")
    if not extra_ok:
        extra = [c for c in df.columns if c not in expected]
        if extra:
            raise SchemaError(f"{name}: unexpected columns {extra}; expected only {expected}; drop or rename them")
    for col in spec:
        s = df[col.name]
        if not _dtype_ok(s, col):
            raise SchemaError(f"{name}: column '{col.name}' has dtype {s.dtype}; expected {col.dtype}")
        if not col.nullable and s.isna().any():
            raise SchemaError(f"{name}: column '{col.name}' has {int(s.isna().sum())} missing values; expected none")
        if (col.min is not None or col.max is not None) and len(s) and col.dtype not in ("str", "category", UTC_NS):
            v = s.to_numpy(dtype="float64", na_value=np.nan)
            lo = -np.inf if col.min is None else col.min
            hi = np.inf if col.max is None else col.max
            bad = ~np.isnan(v) & ((v < lo) | (v > hi))
            if bad.any():
                raise SchemaError(
                    f"{name}: column '{col.name}' has {int(bad.sum())} values outside [{lo}, {hi}], "
                    f"e.g. {v[bad][:3].tolist()}"
                )
