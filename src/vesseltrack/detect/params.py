"""The detectors' parameters and presets, as plain tables: importable without numpy or pandas.

The command line reads its choices, defaults and the figures quoted in its help here (and in
:class:`vesseltrack.config.Config`), so that ``vesseltrack --help`` starts at once and never
repeats a value by hand. What the presets mean, and where they come from, is told with the
detectors that use them: :mod:`vesseltrack.detect.gaps` (:data:`PRESETS`),
:mod:`vesseltrack.detect.encounters` (:data:`ENCOUNTER_PRESETS`) and
:mod:`vesseltrack.detect.ports` (:data:`DEFAULT_MIN_VISIT_H`).
"""

from __future__ import annotations

from dataclasses import dataclass

from vesseltrack.errors import ConfigError

#: Gaps: the shortest silence (hours) that is a gap, by default (Global Fishing Watch's 6 h).
DEFAULT_GAP_H = 6.0
#: Gaps: the window (hours) before and after a gap in which the vessel's reports are counted.
WINDOW_H = 12.0
#: Port visits: a stay in a port zone counts as a visit from this many hours (or when the ship stops).
DEFAULT_MIN_VISIT_H = 1.0


@dataclass(frozen=True)
class GapParams:
    """Which silences become gap events. ``None`` disables a criterion."""

    #: Minimum silence, hours.
    min_gap_h: float = DEFAULT_GAP_H
    #: The gap must start at least this far from shore (nautical miles).
    min_start_shore_nm: float | None = None
    #: The gap must start at most this far from shore (nautical miles).
    max_start_shore_nm: float | None = None
    #: Reception in the start cell for the vessel's AIS class, reports per day of vessel time.
    min_reception_per_day: float | None = None
    #: Reports of the vessel in the 12 h before the gap.
    min_positions_before: int | None = None


PRESETS: dict[str, GapParams] = {
    "gfw": GapParams(),
    "welch2022": GapParams(
        min_gap_h=12.0, min_start_shore_nm=50.0, min_reception_per_day=10.0, min_positions_before=14
    ),
    "nearshore": GapParams(max_start_shore_nm=50.0, min_reception_per_day=10.0),
}
@dataclass(frozen=True)
class EncounterParams:
    """Which close approaches become encounter events. ``None`` disables a criterion."""

    #: The two vessels are within this distance (metres) at a grid time.
    max_distance_m: float = 500.0
    #: Minimum duration of a run of close grid times (hours, first to last grid time).
    min_duration_h: float = 2.0
    #: Each vessel's median speed over the close grid times must be under this (knots).
    max_median_speed_kn: float | None = 2.0
    #: At every close grid time both vessels must be under this (knots); others do not count.
    max_speed_kn: float | None = None
    #: Runs of one pair less than this far apart (hours) merge into one encounter.
    merge_gap_h: float = 4.0
    #: Holes of up to this many hours inside a run are bridged before the duration test.
    bridge_h: float = 0.5
    #: Encounters whose median position is within this distance of any port centre are dropped (km).
    min_port_km: float | None = 10.0
    #: Resampling grid step (minutes).
    bin_min: float = 10.0
    #: Never interpolate across a silence longer than this (hours) ...
    max_interp_gap_h: float = 1.0
    #: ... except a silence of up to this many hours (None: no exception) between two reports that
    #: imply under ``stationary_kn``: a ship found where it was left, e.g. drifting alongside
    #: offshore where only satellite passes hear it, every 0.5-6 h.
    max_stationary_gap_h: float | None = 6.0
    #: Implied speed (knots) under which a longer silence may be interpolated (see above).
    stationary_kn: float = 1.0
    #: Samples per chunk of grid times (bounds memory; results do not depend on it).
    chunk_samples: int = 4_000_000
    #: At a grid time, more vessels than this in one cell of about ``max_distance_m`` square are a
    #: crowd (a packed anchorage or one transmitter sending many MMSIs), not that many meetings: they
    #: take part in no encounter at that grid time (None: no limit; memory then grows with the
    #: square of the crowd).
    max_crowd: int | None = 25

    def __post_init__(self) -> None:
        bad = [
            n
            for n, ok in (
                ("max_distance_m", self.max_distance_m > 0),
                ("min_duration_h", self.min_duration_h >= 0),
                ("merge_gap_h", self.merge_gap_h >= 0),
                ("bridge_h", self.bridge_h >= 0),
                ("bin_min", self.bin_min > 0),
                ("chunk_samples", self.chunk_samples >= 1),
                ("max_crowd", self.max_crowd is None or self.max_crowd >= 2),
                ("max_interp_gap_h", self.max_interp_gap_h * 60 >= self.bin_min),
            )
            if not ok
        ]
        if bad:
            raise ConfigError(
                f"EncounterParams {bad} out of range; expected max_distance_m > 0, min_duration_h >= 0, merge_gap_h >= 0, "  # noqa: E501
                f"bridge_h >= 0, bin_min > 0, chunk_samples >= 1, max_crowd None or >= 2 "
                f"and max_interp_gap_h at least one bin; received {self!r}; fix those values"
            )


ENCOUNTER_PRESETS: dict[str, EncounterParams] = {
    "gfw": EncounterParams(),
    "ballinger2024": EncounterParams(max_median_speed_kn=None, max_speed_kn=1.0, merge_gap_h=0.0, min_port_km=None),
}
