"""The rounding of report percentages, the partition that sums to 100, report periods, and the chart font."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, asdict
from datetime import date
from decimal import Decimal

import pytest

from admission_flow.charts import chart
from admission_flow.domain.reports import (
    CompositionRow,
    DeadlineRow,
    Period,
    Report,
    SourcingRow,
    largest_remainder,
    percent,
    record_maker,
)
from admission_flow.errors import InvalidInput
from admission_flow.exports import export

D = Decimal


@pytest.mark.parametrize(
    ("part", "whole", "decimals", "rounding", "expected"),
    [
        (222, 220, 1, "half_up", D("100.9")),  # Ba Tri
        (121, 222, 1, "half_up", D("54.5")),
        (215, 3442, 2, "half_up", D("6.25")),  # Kon Tum: printed 0.06 % in the article, 6.2464 in fact
        (215, 3442, 2, "down", D("6.24")),
        (242, 587, 2, "half_up", D("41.23")),  # Lào Cai: 41.2266 — the article cuts it to 41.22
        (242, 587, 2, "down", D("41.22")),
        (18, 242, 1, "half_up", D("7.4")),
        (18, 587, 1, "half_up", D("3.1")),  # the other reading of the same "18 leaders"
        (1, 8, 1, "half_up", D("12.5")),
        (1, 16, 2, "half_up", D("6.25")),  # an exact tie 6.25 stays; 1/16 = 6.25 exactly
        (1, 160, 2, "half_up", D("0.63")),  # 0.625: the tie goes up, not to even
        (0, 5, 1, "half_up", D("0.0")),
    ],
)
def test_percent_rounds_as_documented(part: int, whole: int, decimals: int, rounding: str, expected: Decimal) -> None:
    assert percent(part, whole, decimals, rounding) == expected


def test_a_percentage_without_a_base_is_none_not_zero() -> None:
    assert percent(3, 0) is None
    assert percent(3, None) is None


def test_largest_remainder_sums_to_exactly_100_where_half_up_does_not() -> None:
    # Seed 002, Duy Tiên 2021 evaluation: 926 / 4,340 / 681 / 28 of 5,975.
    counts = [926, 4340, 681, 28]
    half_up = [percent(c, sum(counts), 2) for c in counts]
    assert half_up == [D("15.50"), D("72.64"), D("11.40"), D("0.47")]
    assert sum(x for x in half_up if x is not None) == D("100.01")
    shares = largest_remainder(counts, 2)
    assert shares == [D("15.50"), D("72.63"), D("11.40"), D("0.47")]  # the article's own adjustment differs
    assert sum(shares) == 100
    assert largest_remainder([1, 1, 1], 1) == [D("33.4"), D("33.3"), D("33.3")]  # ties: the first wins
    assert largest_remainder([0, 0]) == [D(0), D(0)]


def test_a_period_is_exactly_one_of_a_year_a_term_or_two_dates() -> None:
    assert Period.of(year=2016) == Period(date(2016, 1, 1), date(2016, 12, 31), "2016", "year")
    assert Period.of(term="2020-2025").end == date(2025, 12, 31)
    assert Period.of(start=date(2021, 1, 1), end=date(2023, 8, 31)).label == "2021-01-01..2023-08-31"
    for wrong in (
        {},
        {"year": 2016, "term": "2020-2025"},
        {"term": "2025-2020"},
        {"term": "2020/2025"},
        {"start": date(2021, 1, 1)},
        {"start": date(2021, 1, 2), "end": date(2021, 1, 1)},
        {"year": 1066},
    ):
        with pytest.raises(InvalidInput):
            Period.of(**wrong)  # type: ignore[arg-type]


def _composition() -> Report:
    rows = tuple(
        CompositionRow(g, label, n, 215, "members on 2010-12-31, among religious", percent(n, 215))
        for g, label, n in (("women", "Nữ / women", 76), ("ethnic_minority", "Dân tộc thiểu số", 106))
    )
    return Report("composition", "Cơ cấu", "kontum", "Thành ủy Kon Tum", Period.of(year=2010), rows, ("Base: 215",))


def test_charts_are_png_or_svg_in_a_font_with_the_vietnamese_letters() -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    font = FT2Font(font_manager.findfont("DejaVu Sans", fallback_to_default=False))
    assert all(font.get_char_index(ord(letter)) for letter in "ĐđệủơưạằẫỹỏỳÂĂÊÔƠƯ")
    assert chart(_composition(), "png").startswith(b"\x89PNG")
    assert b"<svg" in chart(_composition(), "svg")
    with pytest.raises(InvalidInput):
        chart(_composition(), "gif")


def test_exports_carry_the_rows_and_the_notes() -> None:
    text = export(_composition(), "csv").decode("utf-8")
    assert text.startswith("\ufeffgroup,label,count,base,base_label,percent\nwomen,Nữ / women,76,215,")
    assert "# Base: 215" in text
    assert b'"percent": 35.3' in export(_composition(), "json")
    assert export(_composition(), "xlsx").startswith(b"PK")
    with pytest.raises(InvalidInput):
        export(_composition(), "pdf")


def test_record_maker_builds_the_same_frozen_record_as_its_constructor() -> None:
    values = ("ks.g00.c1", "Chi bộ 1", 4, 9, Decimal("2.25"), "ok")
    made, built = record_maker(SourcingRow)(*values), SourcingRow(*values)
    assert type(made) is SourcingRow
    assert (made, repr(made), hash(made), asdict(made)) == (built, repr(built), hash(built), asdict(built))
    with pytest.raises(FrozenInstanceError):
        made.quota = 5  # type: ignore[misc]
    assert record_maker(DeadlineRow)("ceremony", "awaiting_ceremony", 1, 2, None) == DeadlineRow(
        "ceremony", "awaiting_ceremony", 1, 2, None
    )
    with pytest.raises(TypeError):
        record_maker(SourcingRow)(*values[:5])  # every field, positionally
