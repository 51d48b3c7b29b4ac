"""``GET /api/v1/reports/{name}``: JSON, CSV, XLSX and chart downloads, scoped by the token's subtree."""

from __future__ import annotations

import io
from datetime import date

from apitools import PROBLEM, V1, Api
from openpyxl import load_workbook
from sqlalchemy import insert

from admission_flow.store.schema import Target, TrainingClass, table


def _classes_and_target(api: Api) -> None:
    now = api.clock.now()
    rows = [
        {
            "org_id": org,
            "kind": "awareness",
            "reference": f"L{i}",
            "starts_on": date(2024, 3, i + 1),
            "ends_on": None,
            "attendees": 40 + i,
            "recorded_at": now,
        }
        for i, org in enumerate(["ks.anmy", "ks.anmy.ap1", "ks.thpt", "ks"])
    ]
    with api.flow.store.engine.begin() as connection:
        connection.execute(insert(table(TrainingClass)), rows)
        connection.execute(
            insert(table(Target)).values(
                org_id="ks.anmy",
                kind="annual",
                starts_on=date(2024, 1, 1),
                ends_on=date(2024, 12, 31),
                admissions=10,
                sourcing_plan=15,
                recorded_at=now,
            )
        )


def test_a_report_as_json_csv_xlsx_and_chart_within_the_token_subtree(api: Api) -> None:
    _classes_and_target(api)
    district = api.client("ks", ["organisation_department"], read_only=True)
    answer = district.get(f"{V1}/reports/classes", params={"org_id": "ks", "year": 2024})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    totals = [r for r in body["rows"] if r["org_name"].startswith("Tổng")]
    assert [(r["kind"], r["classes"], r["attendees"]) for r in totals] == [
        ("awareness", 4, 166),
        ("new_member", 0, 0),
    ]
    assert any("start date" in note for note in body["notes"])
    commune = api.client("ks.anmy", ["cell"])
    own = commune.get(f"{V1}/reports/classes", params={"year": 2024}).json()  # default: the token's organisation
    assert own["org_id"] == "ks.anmy"
    assert [r["attendees"] for r in own["rows"] if r["org_name"].startswith("Tổng") and r["kind"] == "awareness"] == [
        81
    ]
    csv = district.get(f"{V1}/reports/sourcing", params={"org_id": "ks", "year": 2024, "format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    text = csv.content.decode("utf-8-sig").splitlines()
    assert text[0] == "org_id,org_name,quota,sourcing_plan,ratio,status"
    assert text[1] == "ks.anmy,Đảng ủy xã An Mỹ,10,15,1.5,low"
    xlsx = district.get(f"{V1}/reports/attainment", params={"org_id": "ks", "year": 2024, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [c.value for c in sheet[1]][:4] == ["org_id", "org_name", "target", "admitted"]
    png = district.get(f"{V1}/reports/pipeline", params={"org_id": "ks", "year": 2024, "format": "png"})
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")


def test_a_report_outside_the_token_subtree_or_malformed_is_a_problem(api: Api) -> None:
    commune = api.client("ks.anmy", ["cell"])
    for params, status in (
        ({"org_id": "ks", "year": 2024}, 404),  # one level outside: as if it did not exist
        ({"org_id": "ks.thpt", "year": 2024}, 404),
        ({"org_id": "nowhere", "year": 2024}, 404),
        ({"year": 2024, "term": "2020-2025"}, 400),
        ({"term": "20-25"}, 400),
        ({"from": "2024-02-01", "to": "2024-01-01"}, 400),
        ({"year": 2024, "among": "aliens"}, 400),
        ({}, 400),
        ({"year": 2024, "format": "pdf"}, 422),
    ):
        answer = commune.get(f"{V1}/reports/composition", params=params)
        assert answer.status_code == status, (params, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM)
    assert commune.get(f"{V1}/reports/nonsense", params={"year": 2024}).status_code == 422
