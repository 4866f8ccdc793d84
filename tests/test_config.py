"""Config checks every option when it is made, before any data is read."""

import subprocess
import sys

import pytest

from vesseltrack.config import Config
from vesseltrack.errors import ConfigError


@pytest.mark.parametrize("column_map, message", [
    ({"lat": "y", "lon": "y"}, r"reads several fields from one column \('y' for \['lat', 'lon'\]\)"),
    ({"timestamp": "ts", "millisecond": "ts"}, r"\('ts' for \['timestamp', 'millisecond'\]\)"),
    ({"timestamp_unit": "minutes"}, r"timestamp_unit 'minutes' is not supported; expected one of \['s', 'ms'"),
    ({"timestamp_format": "YYYY-MM-DD"}, r"timestamp_format 'YYYY-MM-DD' is neither a strptime format nor"),
    ({"MMSI": "id"}, r"column map names unknown columns \['MMSI'\]; expected keys among \['mmsi'"),
    ({"mmsi": ["a", "b"]}, r"values must be non-empty strings .* received \{'mmsi': \['a', 'b'\]\}"),
    ({"mmsi": " "}, r"values must be non-empty strings"),
    ([["mmsi", "id"]], r"column map must be a JSON object \{canonical_name: source_column\}; received list"),
])
def test_bad_column_maps_are_refused_by_config(column_map, message):
    with pytest.raises(ConfigError, match=message):
        Config(column_map=column_map)


@pytest.mark.parametrize("column_map", [
    {"mmsi": "ship", "timestamp": "when", "lat": "north", "lon": "east", "timestamp_format": "%Y/%m/%d %Hh%M"},
    {"mmsi": "id", "timestamp": "ms", "timestamp_unit": "ms"},
    {"timestamp": "time", "millisecond": "ms", "timestamp_format": "exactearth"},
    {"timestamp_format": "iso"},
    {},
])
def test_good_column_maps_are_kept(column_map):
    assert Config(column_map=column_map).column_map == column_map


@pytest.mark.parametrize("field, value", [("random_state", -1), ("random_state", 2**40), ("min_score", 1.5),
                                          ("top", -1), ("n_estimators", 0), ("gap_h", 0)])
def test_out_of_range_values_are_refused(field, value):
    with pytest.raises(ConfigError, match=rf"{field}={value!r} is out of range; expected .*; fix the option"):
        Config(**{field: value})


def test_config_without_a_column_map_needs_no_heavy_library():
    code = "import sys; from vesseltrack.config import Config; Config(); print('pandas' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout == "False\n", run.stderr
