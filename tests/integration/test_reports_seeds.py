"""The reports reproduce the figures the seed articles publish (domain reference §5.2), on SQLite and PostgreSQL.

Each seed's organisation gets its figures as fixture candidates (``reports_fixture.py``), plus distractors that
must not be counted: other years, undecided, rejected, struck off, another organisation, a subgroup outside
the base. A last test proves the fixture writes what the engine writes: candidates fired for real and their
fixture twins give the same reports.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from reports_fixture import Person, Writer, add_classes, add_target, record_template, spread

from admission_flow.domain.reports import Report
from admission_flow.errors import InvalidInput, NotFound
from admission_flow.flow import AdmissionFlow
from admission_flow.testing.scenario import add_sample_orgs, drive

D = Decimal
UNDECIDED = {"stop": "grassroots_vote_passed"}  # waiting for the decision
REJECTED = {"stop": "grassroots_vote_passed", "ending": ("reject_admission", "admission_rejected")}
STRUCK_OFF = {"stop": "probation_elapsed", "ending": ("decide_strike_off", "struck_off")}


def orgs(flow: AdmissionFlow, *rows: tuple[str, str, str, str | None]) -> None:
    for oid, name, kind, parent in rows:
        flow.add_org(id=oid, name=name, kind=kind, parent_id=parent)


def people(n: int, org: str, first: date, last: date, **extra: Any) -> list[Person]:
    values = extra.pop("values", {})
    return [Person(org, on, values=dict(values), **extra) for on in spread(n, first, last)]


def row(report: Report, **match: Any) -> Any:
    found = [r for r in report.rows if all(getattr(r, k) == v for k, v in match.items())]
    assert len(found) == 1, (match, report.rows)
    return found[0]


@pytest.fixture
def seeded(flow: AdmissionFlow) -> AdmissionFlow:
    return seed_all(flow)


def seed_all(flow: AdmissionFlow) -> AdmissionFlow:
    """The four seeds' organisations and figures, with distractors, in one database (docs/images use it too)."""
    add_sample_orgs(flow)  # Sóc Trăng → Kế Sách (seed 000) and the template's cell
    writer = Writer(flow, record_template(flow))
    orgs(
        flow,
        ("bentre", "Tỉnh ủy Bến Tre", "province", None),
        ("batri", "Huyện ủy Ba Tri", "superior_committee", "bentre"),
        ("batri.anduc", "Đảng ủy xã An Đức", "grassroots_committee", "batri"),
        ("batri.anduc.c1", "Chi bộ ấp 1", "cell", "batri.anduc"),
        ("batri.tt", "Đảng ủy thị trấn Ba Tri", "grassroots_committee", "batri"),
        ("batri.tt.c1", "Chi bộ khu phố 1", "cell", "batri.tt"),
        ("mcn", "Huyện ủy Mỏ Cày Nam", "superior_committee", "bentre"),
        ("mcn.c1", "Chi bộ ấp Tân Trung", "cell", "mcn"),
        ("kontum", "Thành ủy Kon Tum", "superior_committee", None),
        ("kontum.p1", "Đảng ủy phường Thắng Lợi", "grassroots_committee", "kontum"),
        ("kontum.p1.c1", "Chi bộ tổ 1", "cell", "kontum.p1"),
        ("kontum.x2", "Đảng ủy xã Đăk Cấm", "grassroots_committee", "kontum"),
        ("kontum.x2.c1", "Chi bộ thôn Kon Gur", "cell", "kontum.x2"),
        ("laocai", "Đảng ủy Khối các cơ quan và doanh nghiệp tỉnh Lào Cai", "superior_committee", None),
        ("laocai.college", "Đảng ủy Trường Cao đẳng Lào Cai", "grassroots_committee", "laocai"),
        ("laocai.ducgiang", "Đảng bộ Công ty Đức Giang Lào Cai", "grassroots_committee", "laocai"),
        ("laocai.agencies", "Đảng bộ các sở", "grassroots_committee", "laocai"),
    )
    y16, y15, y17 = (
        (date(2016, 1, 4), date(2016, 12, 30)),
        (date(2015, 3, 1), date(2015, 12, 31)),
        (date(2017, 1, 2), date(2017, 6, 30)),
    )
    women, man = {"sex": "female"}, {"sex": "male"}
    # Seed 001, Ba Tri 2016: 222 admitted of a quota of 220, 121 women, 1 religious.
    writer.add(people(70, "batri.anduc.c1", *y16, values=women))
    writer.add(people(60, "batri.anduc.c1", *y16, values=man))
    writer.add(people(51, "batri.tt.c1", *y16, values=women))
    writer.add(people(40, "batri.tt.c1", *y16, values=man))
    writer.add(people(1, "batri.tt.c1", *y16, values={"sex": "male", "religion": "Công giáo"}))
    writer.add(people(15, "batri.anduc.c1", *y15, values=women | {"religion": "Phật giáo"}))  # another year
    writer.add(people(10, "batri.tt.c1", *y17, values=women))
    writer.add(people(20, "batri.anduc.c1", *y16, values=women, **UNDECIDED))
    writer.add(people(10, "batri.tt.c1", *y16, values=women, **REJECTED))
    writer.add(people(12, "batri.tt.c1", *y15, values=women, **STRUCK_OFF))  # struck off in 2016
    writer.add(people(40, "mcn.c1", *y16, values=women | {"religion": "Công giáo"}))  # another district
    add_target(flow, "batri", "annual", date(2016, 1, 1), date(2016, 12, 31), 220, 500)
    add_target(flow, "batri.anduc", "annual", date(2016, 1, 1), date(2016, 12, 31), 120, 200)
    add_target(flow, "batri.tt", "annual", date(2016, 1, 1), date(2016, 12, 31), 100, 300)
    add_target(flow, "batri", "annual", date(2015, 1, 1), date(2015, 12, 31), 999)
    # Seed 000, Kế Sách, term 2020-2025: 574 admitted against a term target of 500; 11 awareness classes, 777 people.
    term = (date(2020, 3, 2), date(2024, 6, 28))
    writer.add(people(300, "ks.anmy.ap1", *term))
    writer.add(people(200, "ks.thpt.gv.toan", *term))
    writer.add(people(74, "ks.ctyxk", *term, values={"occupation": "enterprise_worker"}))
    writer.add(people(30, "ks.anmy.ap1", date(2019, 1, 2), date(2019, 12, 31)))
    writer.add(people(25, "ks.anmy.ap1", *term, **UNDECIDED))
    add_target(flow, "ks", "term", date(2020, 1, 1), date(2025, 12, 31), 500)
    add_target(flow, "ks", "term", date(2015, 1, 1), date(2019, 12, 31), 400)
    add_classes(flow, "ks", "awareness", spread(6, date(2020, 5, 4), date(2024, 5, 6)), [70] * 6)
    add_classes(flow, "ks.anmy", "awareness", spread(5, date(2021, 5, 4), date(2024, 6, 3)), [70, 70, 70, 70, 77])
    add_classes(flow, "ks", "awareness", [date(2019, 9, 9)], [99])  # before the term
    add_classes(flow, "ks", "new_member", spread(3, date(2021, 1, 4), date(2023, 1, 4)), [100, 100, 100])
    add_classes(flow, "batri", "awareness", [date(2021, 3, 1)], [50])  # another district
    # Seed 003, Kon Tum: 215 religious of 3,442 members (6.25 %); of them 106 ethnic minority, 76 women.
    old, recent = (date(2000, 1, 3), date(2009, 6, 30)), (date(2010, 2, 1), date(2010, 9, 30))
    rel = {"religion": "Công giáo"}
    minority = {"ethnicity": "Ba Na"}
    writer.add(people(60, "kontum.x2.c1", *old, values=rel | minority | women))
    writer.add(people(40, "kontum.x2.c1", *old, values=rel | minority | man))
    writer.add(people(6, "kontum.x2.c1", *recent, values=rel | minority | man))  # probationary on the date
    writer.add(people(16, "kontum.p1.c1", *old, values=rel | women))
    writer.add(people(84, "kontum.p1.c1", *old, values=rel | man))
    writer.add(people(9, "kontum.p1.c1", *recent, values=rel | man))
    writer.add(people(800, "kontum.x2.c1", *old, values=minority | women))
    writer.add(people(1200, "kontum.p1.c1", *old, values=women))
    writer.add(people(1227, "kontum.p1.c1", *old, values=man))
    writer.add(people(10, "kontum.p1.c1", date(2007, 1, 2), date(2007, 6, 29), values=rel, **STRUCK_OFF))
    writer.add(
        people(5, "kontum.p1.c1", date(2010, 12, 27), date(2010, 12, 30), values=rel)
    )  # decided in 2010, no ceremony yet
    writer.add(people(8, "kontum.p1.c1", date(2011, 2, 1), date(2011, 5, 2), values=rel))  # after the date
    writer.add(people(50, "batri.anduc.c1", *old, values=rel))  # another city
    # Seed 004, Lào Cai bloc 2021 to 8/2023: 587 admitted, 242 in enterprises (41.22 %), 5 students (0.85 %),
    # 18 leaders or managers = 7.4 % of the 242; 145 in 8 months of 2023 = 63 % of a plan of 230.
    span, y23 = (date(2021, 1, 4), date(2022, 12, 30)), (date(2023, 1, 3), date(2023, 8, 31))
    ent, uni = {"occupation": "enterprise_worker"}, {"education": "university"}
    writer.add(people(18, "laocai.ducgiang", *span, values=ent | uni | {"manager": True}))
    writer.add(people(180, "laocai.ducgiang", *span, values=ent | uni))
    writer.add(people(44, "laocai.ducgiang", *y23, values=ent))
    writer.add(people(5, "laocai.college", *y23, values={"occupation": "student"}))
    writer.add(people(30, "laocai.agencies", *span, values=uni | {"manager": True, "occupation": "civil_servant"}))
    writer.add(people(214, "laocai.agencies", *span, values=uni | {"occupation": "civil_servant"}))
    writer.add(people(96, "laocai.agencies", *y23, values=uni | {"occupation": "civil_servant"}))
    writer.add(people(12, "laocai.ducgiang", date(2023, 9, 4), date(2023, 12, 29), values=ent))  # after August
    writer.add(people(9, "laocai.ducgiang", date(2020, 1, 6), date(2020, 12, 31), values=ent | {"manager": True}))
    writer.add(people(7, "laocai.ducgiang", *y23, values=ent, **REJECTED))
    writer.add(people(6, "mcn.c1", *span, values=ent | {"manager": True}))  # another province
    add_target(flow, "laocai", "annual", date(2023, 1, 1), date(2023, 12, 31), 230, 600)
    add_classes(flow, "laocai", "awareness", spread(8, date(2021, 3, 1), date(2023, 6, 5)), [98] * 7 + [101])
    add_classes(flow, "laocai.ducgiang", "new_member", spread(8, date(2021, 4, 5), date(2023, 7, 3)), [77] * 7 + [80])
    return flow


def test_seed_figures_are_reproduced(seeded: AdmissionFlow, subtests: Any) -> None:
    flow = seeded
    with subtests.test("Ba Tri 2016: 222 of a quota of 220 = 100.9 %"):
        report = flow.report("attainment", "batri", year=2016)
        total = report.rows[-1]
        assert (total.target, total.admitted, total.attainment_pct, total.over_under_pct) == (
            220,
            222,
            D("100.9"),
            D("0.9"),
        )
        assert row(report, org_id="batri.anduc").admitted == 130
        assert row(report, org_id="batri.tt").admitted == 92
        assert row(report, org_id="batri.anduc").target == 120
    with subtests.test("Ba Tri 2016: 121 women (54.5 %), 1 religious"):
        report = flow.report("composition", "batri", year=2016)
        assert (row(report, group="women").count, row(report, group="women").percent) == (121, D("54.5"))
        assert row(report, group="religious").count == 1
        assert row(report, group="women").base == 222
    with subtests.test("Ba Tri 2016: the sourcing plans against the 2-3x rule"):
        report = flow.report("sourcing", "batri", year=2016)
        assert sorted((r.org_id, r.quota, r.sourcing_plan, r.ratio, r.status) for r in report.rows) == [
            ("batri", 220, 500, D("2.27"), "ok"),
            ("batri.anduc", 120, 200, D("1.67"), "low"),
            ("batri.tt", 100, 300, D("3.00"), "ok"),
        ]
        assert report.meta["warnings"] == 1
    with subtests.test("Kế Sách term 2020-2025: 574 admitted, 14.8 % above a target of 500"):
        report = flow.report("attainment", "ks", term="2020-2025")
        total = report.rows[-1]
        assert (total.target, total.admitted, total.over_under_pct) == (500, 574, D("14.8"))
    with subtests.test("Kế Sách term: 11 awareness classes for 777 people"):
        report = flow.report("classes", "ks", term="2020-2025")
        total = row(report, org_id="ks", kind="awareness", org_name="Tổng / total: Huyện ủy Kế Sách")
        assert (total.classes, total.attendees) == (11, 777)
        assert row(report, org_id="ks.anmy", kind="awareness").attendees == 357
    with subtests.test("Kon Tum: 215 religious of 3,442 members = 6.25 %"):
        report = flow.report("composition", "kontum", year=2010, base="members", decimals=2)
        religious = row(report, group="religious")
        assert (religious.count, religious.base, religious.percent) == (215, 3442, D("6.25"))
    with subtests.test("Kon Tum: of the 215 religious, 106 ethnic minority (49.3 %), 76 women (35.3 %)"):
        report = flow.report("composition", "kontum", year=2010, base="members", among="religious")
        assert (row(report, group="ethnic_minority").count, row(report, group="ethnic_minority").percent) == (
            106,
            D("49.3"),
        )
        assert (row(report, group="women").count, row(report, group="women").percent) == (76, D("35.3"))
        assert row(report, group="women").base == 215
    with subtests.test("Kon Tum 2010: 20 religious people admitted (5 decided in late December)"):
        report = flow.report("composition", "kontum", year=2010)
        assert row(report, group="religious").count == 20
    with subtests.test("Kon Tum 2010 counted by ceremony: the 5 decided in late December fall in 2011"):
        by_ceremony = AdmissionFlow(flow.settings.model_copy(update={"report_count_admissions_by": "ceremony"}))
        try:
            report = by_ceremony.report("composition", "kontum", year=2010)
            assert row(report, group="religious").count == 15
            assert "`hold_ceremony` event (ceremony)" in report.notes[0]
        finally:
            by_ceremony.close()
    with subtests.test("Lào Cai: 587 admitted, 242 in enterprises, 5 students"):
        report = flow.report("composition", "laocai", start=date(2021, 1, 1), end=date(2023, 8, 31), decimals=2)
        assert row(report, group="enterprise").base == 587
        assert (row(report, group="enterprise").count, row(report, group="enterprise").percent) == (242, D("41.23"))
        assert (row(report, group="student").count, row(report, group="student").percent) == (5, D("0.85"))
        assert row(report, group="university").percent >= 75
    with subtests.test("Lào Cai: the article cuts 41.2266 % down to 41.22"):
        report = flow.report(
            "composition", "laocai", start=date(2021, 1, 1), end=date(2023, 8, 31), decimals=2, rounding="down"
        )
        assert row(report, group="enterprise").percent == D("41.22")
    with subtests.test("Lào Cai: 18 leaders = 7.4 % of the 242 enterprise admissions"):
        report = flow.report("composition", "laocai", start=date(2021, 1, 1), end=date(2023, 8, 31), among="enterprise")
        manager = row(report, group="manager")
        assert (manager.count, manager.base, manager.percent) == (18, 242, D("7.4"))
    with subtests.test("Lào Cai: 145 in 8 months of 2023 = 63 % of the plan"):
        report = flow.report("attainment", "laocai", start=date(2023, 1, 1), end=date(2023, 8, 31), decimals=0)
        assert (report.rows[-1].admitted, report.rows[-1].attainment_pct) == (145, D("63"))
    with subtests.test("Lào Cai: 8 awareness classes for 787, 8 new-member classes for 619"):
        report = flow.report("classes", "laocai", start=date(2021, 1, 1), end=date(2023, 8, 31))
        totals = {r.kind: (r.classes, r.attendees) for r in report.rows if r.org_name.startswith("Tổng")}
        assert totals == {"awareness": (8, 787), "new_member": (8, 619)}
    with subtests.test("Lào Cai: 100 % of probations concluded were recognised on time"):
        report = flow.report("milestones", "laocai", start=date(2021, 1, 1), end=date(2023, 8, 31))
        on_time = row(report, measure="recognised_on_time")
        assert on_time.base > 0 and on_time.percent == D("100.0")
        assert row(report, measure="admission_decisions").count == 587


def test_report_scope_and_input_are_checked(flow: AdmissionFlow) -> None:
    add_sample_orgs(flow)
    with pytest.raises(NotFound):
        flow.report("attainment", "ks", year=2016, within="ks.anmy")
    with pytest.raises(NotFound):
        flow.report("attainment", "nowhere", year=2016)
    assert flow.report("attainment", "ks.anmy.ap1", year=2016, within="ks").rows[-1].admitted == 0
    for wrong in (
        {"name": "nonsense", "year": 2016},
        {"name": "attainment", "year": 2016, "term": "2015-2020"},
        {"name": "attainment", "term": "2020"},
        {"name": "attainment", "start": date(2020, 2, 1), "end": date(2020, 1, 1)},
        {"name": "composition", "year": 2016, "among": "aliens"},
        {"name": "composition", "year": 2016, "base": "everyone"},
        {"name": "composition", "year": 2016, "decimals": 9},
    ):
        with pytest.raises(InvalidInput):
            flow.report(org_id="ks", **wrong)


def _comparable(report: Report) -> list[dict[str, Any]]:
    return [{k: v for k, v in asdict(r).items() if k not in ("org_id", "org_name")} for r in report.rows]


def test_candidates_fired_for_real_count_like_fixture_ones(flow: AdmissionFlow) -> None:
    """The fixture's rows are the engine's: three candidates taken through ``flow.fire`` and their three fixture
    twins (same data, same decision dates, another cell) give identical reports of every kind."""
    add_sample_orgs(flow)
    flow.add_org(id="ks.anmy.ap3", name="Chi bộ ấp An Hòa", kind="cell", parent_id="ks.anmy", has_youth_union=True)
    writer = Writer(flow, record_template(flow))
    data = [
        {"sex": "female", "ethnicity": "Khmer", "education": "university"},
        {"sex": "male", "religion": "Phật giáo", "occupation": "student", "education": "upper_secondary"},
        {"sex": "female", "occupation": "enterprise_worker", "education": "university"},
    ]
    stops = ["full_member", "probationary", "awaiting_admission_decision"]
    for i, (values, stop) in enumerate(zip(data, stops, strict=True)):
        cid = f"real-{i}"
        begin = date(2024, 1, 1 + i)
        flow.add_candidate(
            id=cid,
            org_id="ks.anmy.ap1",
            full_name=f"Thật {i}",
            birth_date=date(1995, 5, 15),
            workflow="standard@2021",
            on=begin,
            **values,
        )
        drive(flow, cid, begin, until=None if stop == "full_member" else stop)
        decided = [e for e in flow.history(cid) if e.trigger == "decide_admission"]
        last = flow.history(cid)[-1].trigger
        writer.add(
            [
                Person(
                    "ks.anmy.ap3",
                    decided[0].occurred_on if decided else begin,
                    anchor="decide_admission" if decided else "admit_to_sympathizer_list",
                    stop=None if stop == "full_member" else last,
                    values={"birth_date": date(1995, 5, 15)} | values,
                )
            ]
        )
    assert flow.candidate("real-2").state == "awaiting_admission_decision"
    # The fixture writes no timers: the deadlines report is checked on the real candidates alone.
    for name in ("attainment", "pipeline", "milestones", "composition", "durations"):
        for period in ({"year": 2024}, {"year": 2025}, {"start": date(2024, 1, 1), "end": date(2025, 12, 31)}):
            real = flow.report(name, "ks.anmy.ap1", **period)
            twin = flow.report(name, "ks.anmy.ap3", **period)
            assert _comparable(real) == _comparable(twin), (name, period)
    members = flow.report("composition", "ks.anmy.ap1", year=2025, base="members")
    assert row(members, group="women").base == 2
    deadlines = flow.report("deadlines", "ks.anmy.ap1", year=2026)
    assert row(deadlines, state="awaiting_admission_decision").overdue == 1
    assert flow.report("deadlines", "ks.anmy.ap3", year=2026).rows == ()
