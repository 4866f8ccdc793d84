"""Config: every parameter of a run, importable without numpy, pandas or scikit-learn.

:func:`vesseltrack.pipeline.run` takes a :class:`Config`; the command line takes its choices and
defaults from its fields and from the preset tables (:mod:`vesseltrack.detect.params`), so a
default is written once, here or there, and ``vesseltrack --help`` needs none of the heavy
libraries. (``vesseltrack.pipeline.Config`` is this class.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vesseltrack.detect.params import DEFAULT_MIN_VISIT_H, ENCOUNTER_PRESETS, PRESETS, GapParams
from vesseltrack.errors import ConfigError
from vesseltrack.products import DEFAULT_PRODUCT, PRODUCTS

#: Alert policy: the lowest score (0..1) that makes an alert, and at most this many alerts.
DEFAULT_MIN_SCORE = 0.6
DEFAULT_TOP = 100


@dataclass(frozen=True)
class Config:
    """Every parameter of a run (recorded in summary.json)."""

    #: Gap preset: "gfw" (every gap over 6 h), "welch2022" or "nearshore" (detect/gaps.py).
    gap_preset: str = "gfw"
    #: Silence (hours) that makes a gap event and splits track segments; None: the preset's.
    gap_h: float | None = None
    #: Encounter (ship-to-ship) preset: "gfw" or "ballinger2024" (detect/encounters.py).
    encounter_preset: str = "gfw"
    #: A stay in a port zone counts as a visit from this many hours (or when the ship stops).
    min_visit_h: float = DEFAULT_MIN_VISIT_H
    #: Extra GeoJSON zone files (Points with radius_m, Polygons); sensitive unless marked otherwise.
    zone_files: tuple[str, ...] = ()
    #: Use only ``zone_files``, not the shipped port gazetteer.
    replace_ports: bool = False
    #: Column map {canonical: source column} for CSV/Parquet layouts that are not recognised.
    column_map: dict | None = None
    #: Time given to NMEA sentences that carry none (ISO 8601).
    assume_time: str | None = None
    #: Require 9-digit MMSIs (None: by layout; anonymised-id layouts allow any positive id).
    strict_mmsi: bool | None = None
    #: Rows per ingest chunk (bounds memory for files larger than memory).
    chunk_rows: int = 1_000_000
    #: A model from ``vesseltrack train`` (.skops); None: score the batch against itself.
    model_path: str | None = None
    #: Isolation-forest trees and seed.
    n_estimators: int = 200
    random_state: int = 0
    #: Alert policy.
    min_score: float = DEFAULT_MIN_SCORE
    top: int = DEFAULT_TOP
    #: Rank every vessel in the alerts, not only merchant ships (features.MERCHANT).
    all_vessels: bool = False
    #: Stop areas saved by an earlier run (its stop_areas.csv), combined with those learnt from this data.
    stop_areas_file: str | None = None
    product: str = DEFAULT_PRODUCT
    watchlist_files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.gap_preset not in PRESETS:
            raise ConfigError(
                f"gap preset {self.gap_preset!r} is unknown; expected one of {sorted(PRESETS)}; pick one with --gap-preset"  # noqa: E501
            )
        if self.encounter_preset not in ENCOUNTER_PRESETS:
            raise ConfigError(
                f"encounter preset {self.encounter_preset!r} is unknown; expected one of {sorted(ENCOUNTER_PRESETS)}; pick one with --encounter-preset"  # noqa: E501
            )
        if self.product not in PRODUCTS:
            raise ConfigError(
                f"product {self.product!r} is unknown; expected one of {sorted(PRODUCTS)}; pick one with --product"
            )
        checks = [
            ("gap_h", self.gap_h is None or self.gap_h > 0),
            ("min_visit_h", self.min_visit_h >= 0),
            ("n_estimators", self.n_estimators >= 1),
            ("min_score", 0 <= self.min_score <= 1),
            ("top", self.top >= 0),
            ("random_state", 0 <= self.random_state < 2**32),
        ]
        for name, ok in checks:
            if not ok:
                raise ConfigError(
                    f"{name}={getattr(self, name)!r} is out of range; expected gap_h > 0, min_visit_h >= 0, n_estimators >= 1, 0 <= min_score <= 1, top >= 0, 0 <= random_state (--seed) < 2**32; fix the option"  # noqa: E501
                )

        if self.column_map is not None:  # before any data is read (ingest checks the columns each file has)
            from vesseltrack.ingest.layouts import check_column_map

            check_column_map(self.column_map)

    @property
    def gap_params(self) -> GapParams:
        p = PRESETS[self.gap_preset]
        return p if self.gap_h is None else replace(p, min_gap_h=self.gap_h)


def read_json_file(path: str | Path, *, name: str, kind: str, expected: str, fix: str, fix_binary: str) -> Any:
    """The JSON document in the option file ``path``; every way it can fail is one ConfigError that
    starts with ``name`` (e.g. ``--column-map m.json``). ``kind``: what the file should be ("GeoJSON");
    ``expected``: the document it should hold; ``fix`` / ``fix_binary``: what to do about bad JSON /
    a file that is not text."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{name}: cannot read it ({err.strerror}); expected {expected}; check the path") from err
    except json.JSONDecodeError as err:
        raise ConfigError(
            f"{name}: not valid JSON at line {err.lineno}; expected {expected}; received {err.msg.lower()} at column {err.colno}; {fix}"  # noqa: E501
        ) from err
    except UnicodeDecodeError as err:
        raise ConfigError(
            f"{name}: not a text file (byte {err.start} is not UTF-8); expected {expected} in UTF-8 JSON; {fix_binary}"
        ) from err
    except RecursionError as err:
        raise ConfigError(f"{name}: JSON nested too deeply to be {kind}; expected {expected}; {fix}") from err
