"""Realistic synthetic AIS scenarios with known truth, for testing and evaluating detectors.

A scenario is a fleet of vessels sailing real sea lanes of the Sea of Japan / East Sea, the Korea
Strait and the Yellow Sea / Korea Bay between ports of the bundled gazetteer, seen through a model of
AIS reception (dense terrestrial coverage near shore stations, sparse satellite passes offshore, no
shore stations in North Korea), with injected anomalies whose truth is recorded:

- ``dark_voyage``: a tanker loads at a Russian Far East oil port, switches AIS off, delivers to a
  North Korean port (or meets a ship at sea) and reappears elsewhere, often with a new draught and
  destination;
- ``sts``: two tankers alongside in open sea (50-300 m, < 1 kn, 2-8 h), draughts swap;
- ``dark_sts``: one tanker loiters at sea while its partner is dark;
- ``spoofing``: reported positions jump tens to hundreds of km away and back;
- ``identity_clash``: two ships broadcast the same MMSI at the same time in different places.

Cargo operations (``truth["cargo_ops"]``): every load and discharge of the main fleet's tankers and
cargo ships overlapping the data, with the true (physical) draught before and after, the draught the
crew reported (crews update ``prompt``-ly, ``late``, ``rough``-ly or ``never``; see ``cargo``) and
the true tonnage, one record per operation: ``{"mmsi", "kind" ("load" | "discharge"), "where"
("port" | "sts", either side of a transfer, with "other_mmsi" | "dark", a delivery at "port" while
AIS was off), "port", "other_mmsi", "start_time", "end_time" (the moored stay or the time
alongside), "true_draught_before_m", "true_draught_after_m", "reported_draught_before_m" (last
report before the window), "reported_draught_after_m" (first report after it, or the first within
48 h that differs from the one before; null without such a report), "crew", "length_m", "width_m"
(as broadcast), "cwp", "lwl_m", "true_tonnes"}`` with ``true_tonnes = |after - before| * cwp *
lwl_m * width_m * 1.025``.

Designated identities (``truth["designated"]``, ``designated``): a dark-voyage tanker and about one
ship in 20 (cargo ships trading Russia - Rajin) carry real identities of OFAC's SDN list
(``data/designated.json``), one record each: ``{"mmsi", "imo", "name", "list": "OFAC SDN",
"entry_id", "program"}``.

Benign look-alikes are part of every scenario: satellite-only reception gaps offshore, long
anchorages, fishing loitering, ships that switch AIS off while moored. The natural gaps are listed in
the truth so an evaluation can count false alarms.

Nuisances (``generate(..., nuisances=True)``, the default): everyday harbour life, which on real AIS
raises nearly all the false alarms, added on top of the ``n_vessels`` ships (about 35 more vessels
for 60, scaled with ``n_vessels``) and listed in ``truth["nuisances"]``, one record per nuisance:
``{"kind", "mmsi", "other_mmsi" (the other vessel of a pair, else null), "start_time", "end_time",
"duration_h", "lat", "lon", "port", ..., "detail"}``. Kinds:

- ``harbour_craft``: a tug (52), pilot boat (50), port tender (53), work boat (31, 33) or law
  enforcement vessel (55), some class B, based at a berth of a real port, making short trips in
  the harbour on working days (start/end: its first and last report; lat/lon: its berth); with
  ``other_mmsi``, dredgers / work vessels (33) moored together 10-30 m apart (start/end: while
  both are at their berths; ``distance_m``);
- ``berth_shutdown``: a harbour craft or pleasure boat switches AIS off at its berth overnight or
  over the weekend, 8-70 h, and comes back on within metres of where it stopped, stationary
  (start/end: the last report before and the first after, as in ``natural_gaps``, where the same
  silence is listed with cause ``ais_off_in_port``);
- ``marina_moored``: pleasure craft (37, mostly class B) moored side by side 10-40 m apart for
  days (start/end: while both are at their slots; ``distance_m``), with occasional outings;
- ``ferry_berth``: day ferries (60-69) lying at adjacent berths of a terminal overnight
  (``distance_m`` 40-70 m);
- ``anchorage_wait``: a cargo ship (70s) or tanker (80s) waiting at a port's anchorage for 1-4
  days, with ``other_mmsi`` and ``distance_m`` when another waiting ship is anchored 300-800 m
  away (a benign neighbour, not a ship-to-ship transfer);
- ``anchorage_gap``: AIS off for 3-12 h while at anchor (as in ``natural_gaps``, cause
  ``ais_off_at_anchor``);
- ``censored_end``: a nuisance vessel's last report is at least ``NATURAL_GAP_MIN_H`` before the
  end of the data (start: that report; end: the data end; ``cause``: ``ais_off`` at its berth,
  ``left_area`` out of the region into the Pacific, or ``reception``). Short extracts, e.g.
  ``days=0.7`` with the anomaly counts set to 0, end during the nightly shutdowns;
- ``fast_craft``: a crossing of a high-speed craft (40-49) at 35-40 kn (not spoofing).

Everything is drawn from ``numpy.random.default_rng(seed)``: the same seed gives the same frame and
byte-identical files; nuisance vessels from their own ``default_rng([seed, 7])`` (vessels and
tracks) and ``default_rng([seed, 7, 1])`` (reports), after every other vessel, so with or without
them the other vessels' rows are the same, and ``nuisances=False`` gives what the generator gave
before nuisances existed (but for the cargo and designation changes). Crews and hulls come from
``default_rng([seed, 17])`` (and ``[seed, 17, 4, i]``), designated ships from ``[seed, 17, 1..3]``,
so they leave every other draw of the main generator as it was. Positions along a leg are produced
with numpy; Python loops run over vessels and legs only.

The package, in the order a scenario is built:

- ``lanes``: the sea-lane graph and ports (``data/lanes.json``, ``data/ports.json``), routes, geometry;
- ``coverage``: where terrestrial stations hear ships;
- ``identities``: MMSI, IMO, names, call signs, ship sizes (``data/identities.json``);
- ``movement``: tracks, port calls, loitering;
- ``behaviours``: routine traffic (merchant ships, ferries, tugs, fishing; ``data/traffic.json``);
- ``anomalies``: dark voyages, ship-to-ship transfers;
- ``designated``: identities of sanctioned vessels (``data/designated.json``), Russia - Rajin shuttles;
- ``cargo``: crews' draught habits, hulls, true tonnages;
- ``harbour`` and ``nuisances``: everyday harbour life and its truth records;
- ``emission``: the reports received, and spoofing;
- ``truth``: the truth, resolved against the reports;
- ``scenario``: :func:`generate` and :class:`Scenario`;
- ``files``: :func:`write`, :func:`to_marinecadastre`;
- ``bulk``: :func:`generate_bulk`, :func:`generate_bulk_chunks` (larger than memory), :func:`write_bulk` for
  benchmarks.
"""

from vesseltrack.scenarios.bulk import generate_bulk, generate_bulk_chunks, write_bulk
from vesseltrack.scenarios.coverage import REGIONS
from vesseltrack.scenarios.files import MARINECADASTRE_COLUMNS, to_marinecadastre, write
from vesseltrack.scenarios.identities import imo_is_valid
from vesseltrack.scenarios.nuisances import NUISANCE_KINDS
from vesseltrack.scenarios.scenario import Scenario, generate
from vesseltrack.scenarios.truth import NATURAL_GAP_MIN_H, TRUTH_FORMAT

__all__ = [
    "MARINECADASTRE_COLUMNS", "NATURAL_GAP_MIN_H", "NUISANCE_KINDS", "REGIONS", "TRUTH_FORMAT", "Scenario",
    "generate", "generate_bulk", "generate_bulk_chunks", "imo_is_valid", "to_marinecadastre", "write", "write_bulk",
]
