"""`vesseltrack score` over every real CSV/Parquet file in ../shared/data/ais: the row accounting is exact."""

import json

import pytest
from conftest import SHARED_AIS, shared_ais

from vesseltrack import schema
from vesseltrack.cli import main

NOT_AIS = {"UpdatedPub150.csv"}  # the World Port Index: a port list, not positions


def real_files():
    if not SHARED_AIS.is_dir():
        return []
    return sorted(p for p in SHARED_AIS.rglob("*") if p.suffix in (".csv", ".parquet") and p.name not in NOT_AIS)


@pytest.mark.realdata
@pytest.mark.parametrize("path", real_files(), ids=lambda p: p.name)
def test_score_real_file_accounts_for_every_row(path, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["score", str(path), "--out", str(out), "--quiet"]) == 0, capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["rows"]
    assert (
        rows["rows_read"]
        == rows["rows_kept"] + rows["rows_rejected"] + rows["rows_duplicate"] + rows["rows_non_vessel"]
    )
    assert rows["rows_rejected"] == sum(rows["rejected_by_reason"].values())
    rejects = (out / "rejects.csv").read_text().splitlines()
    assert rejects[0] == ",".join(schema.names(schema.REJECTS)) and len(rejects) - 1 == rows["rows_rejected"]
    for name in ["alerts", "events", "voyages"]:
        header = (out / f"{name}.csv").read_text().splitlines()[0]
        assert header == ",".join(schema.names(schema.SPECS[name]))
    assert summary["positions"] == rows["rows_kept"]


@pytest.mark.realdata
def test_the_port_list_is_refused_with_a_clear_error(tmp_path, capsys):
    wpi = shared_ais() / "reference_ports_nga_wpi" / "UpdatedPub150.csv"
    assert main(["score", str(wpi), "--out", str(tmp_path / "r"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"vesseltrack: error: {wpi}: cannot recognise the layout") and "--column-map" in err


def test_real_files_are_found():
    if not SHARED_AIS.is_dir():
        pytest.skip("no shared data")
    assert len(real_files()) >= 10
