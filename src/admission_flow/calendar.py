"""Vietnamese working days ("ngày làm việc") and the arithmetic of legal deadlines.

A working day is Monday to Friday, except public holidays and the days the government gives off, plus the
Saturdays (or Sundays) it declares worked in exchange ("làm bù"). Holidays and most yearly swaps come from the
``holidays`` package (loaded one year at a time, when a date of that year is first asked about); the swaps it
does not know are listed in ``config/calendar-vn.toml`` (see :func:`load_calendar`).

Precedence for one date: a configured day off, then a public holiday (both never working days), then a
configured or package make-up working day, then the weekend rule.

Counting convention (domain document §6.5, marked [U] there: the texts say "kể từ ngày …"):

* the start day itself is **not** counted: ``add_working_days(start, n)`` is the date of the n-th working day
  after ``start``, whatever ``start`` is (a Friday + 1 working day is the Monday; a Saturday + 1 too);
  ``n = 0`` returns ``start`` unchanged;
* ``subtract_working_days(end, n)`` is the n-th working day before ``end`` (``end`` not counted), so
  ``subtract(add(s, n), n) == s`` whenever ``s`` is itself a working day;
* ``working_days_between(a, b)`` counts the working days in the half-open interval ``(a, b]``, so
  ``working_days_between(s, add_working_days(s, n)) == n`` for every ``s``.

Example: a decision received on 26/8/2024 + 30 working days = 9/10/2024 (2 and 3/9/2024 are National Day).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any

import holidays

from admission_flow.dates import Duration, add_months
from admission_flow.errors import ConfigurationError

DEFAULT_CALENDAR_PATH = Path("config/calendar-vn.toml")
COUNTRY = "VN"
_WEEKEND_NAMES = {"vi": ("Thứ Bảy", "Chủ nhật")}
_ENGLISH_WEEKEND = ("Saturday", "Sunday")
_ONE_DAY = timedelta(days=1)
_MAX_WALKS = 65536  # remembered working-day walks per calendar
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class _Year:
    """What the ``holidays`` package says about one calendar year."""

    holidays: Mapping[date, str]
    workdays: frozenset[date]


class WorkingCalendar:
    """Vietnamese public holidays (``holidays`` package) plus configured days off and make-up working days.

    ``language`` selects the holiday names the package returns (``"en_US"``, ``"vi"``, ``"th"``).
    """

    def __init__(
        self,
        extra_days_off: Mapping[date, str] | None = None,
        extra_working_days: Mapping[date, str] | None = None,
        *,
        language: str = "en_US",
    ) -> None:
        self._days_off: Mapping[date, str] = MappingProxyType(dict(extra_days_off or {}))
        self._working: Mapping[date, str] = MappingProxyType(dict(extra_working_days or {}))
        both = sorted(self._days_off.keys() & self._working.keys())
        if both:
            listed = ", ".join(d.isoformat() for d in both)
            raise ConfigurationError(f"listed both as a day off and as a working day: {listed}")
        self._language = language
        self._weekend = _WEEKEND_NAMES.get(language.split("_")[0], _ENGLISH_WEEKEND)
        self._years: dict[int, _Year] = {}
        self._walks: dict[tuple[date, int, int], date] = {}
        self._working_days: dict[date, bool] = {}  # is_working_day, remembered (the calendar never changes)
        self._totals: dict[int, list[int]] = {}  # per year, running counts of working days (_running)

    @property
    def extra_days_off(self) -> Mapping[date, str]:
        return self._days_off

    @property
    def extra_working_days(self) -> Mapping[date, str]:
        return self._working

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is None:
            # The previous year too, so that a day off spilling over New Year is never missed.
            table = holidays.country_holidays(COUNTRY, years=(year - 1, year), language=self._language)
            cached = _Year(
                holidays=MappingProxyType({d: str(n) for d, n in table.items() if d.year == year}),
                workdays=frozenset(d for d in table.weekend_workdays if d.year == year),
            )
            self._years[year] = cached
        return cached

    def day_off_reason(self, d: date) -> str | None:
        """Why ``d`` is not a working day (override or holiday name, ``Saturday``/``Sunday``); None if it is."""
        if d in self._days_off:
            return self._days_off[d]
        year = self._year(d.year)
        if d in year.holidays:
            return year.holidays[d]
        if d.weekday() < 5 or d in self._working or d in year.workdays:
            return None
        return self._weekend[d.weekday() - 5]

    def is_working_day(self, d: date) -> bool:
        found = self._working_days.get(d)
        if found is None:
            found = self._working_days[d] = self.day_off_reason(d) is None
        return found

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` not counted); ``start`` itself when n is 0."""
        if n < 0:
            return self.subtract_working_days(start, -n)
        return self._step(start, n, _ONE_DAY)

    def subtract_working_days(self, end: date, n: int) -> date:
        """The n-th working day before ``end`` (``end`` not counted); ``end`` itself when n is 0."""
        if n < 0:
            return self.add_working_days(end, -n)
        return self._step(end, n, -_ONE_DAY)

    def _step(self, day: date, n: int, step: timedelta) -> date:
        # Deadlines of many candidates count the same working days from the same papers' dates: the calendar
        # never changes once loaded, so each walk is remembered (a bounded table, emptied when full).
        key = (day, n, step.days)
        found = self._walks.get(key)
        if found is not None:
            return found
        while n > 0:
            day += step
            if self.is_working_day(day):
                n -= 1
        if len(self._walks) >= _MAX_WALKS:
            self._walks.clear()
        self._walks[key] = day
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in the half-open interval ``(a, b]``; negative (``-(b, a]``) when ``b`` is before ``a``.

        Counted from each year's running totals (made once per year), not day by day: a page listing a hundred
        deadlines asks this for every row."""
        if b < a:
            return -self.working_days_between(b, a)
        if a.year == b.year:
            running = self._running(a.year)
            return running[b.timetuple().tm_yday] - running[a.timetuple().tm_yday]
        first, last = self._running(a.year), self._running(b.year)
        between = sum(self._running(y)[-1] for y in range(a.year + 1, b.year))
        return first[-1] - first[a.timetuple().tm_yday] + between + last[b.timetuple().tm_yday]

    def _running(self, year: int) -> list[int]:
        """Index k: the working days of ``year`` from 1 January to its k-th day (index 0: none; the last index:
        the whole year)."""
        found = self._totals.get(year)
        if found is None:
            found, count, day = [0], 0, date(year, 1, 1)
            while day.year == year:
                count += self.is_working_day(day)
                found.append(count)
                if day == date.max:
                    break
                day += _ONE_DAY
            self._totals[year] = found
        return found


def shift(start: date, duration: Duration, calendar: WorkingCalendar, *, backwards: bool = False) -> date:
    """``start`` moved by ``duration`` (forwards, or backwards for reminders given ``before`` a deadline).

    ``weeks`` are 7 days; ``months`` keep the day of month, clamped to the month's end (:func:`add_months`);
    ``working_days`` follow the counting convention of this module.
    """
    amount = duration.amount
    match duration.unit:
        case "days":
            return start + timedelta(days=-amount if backwards else amount)
        case "weeks":
            return start + timedelta(weeks=-amount if backwards else amount)
        case "months":
            return add_months(start, -amount if backwards else amount)
        case "working_days":
            if backwards:
                return calendar.subtract_working_days(start, amount)
            return calendar.add_working_days(start, amount)
    raise ValueError(f"unknown duration unit {duration.unit!r}")


def load_calendar(path: Path | None) -> WorkingCalendar:
    """A calendar with the overrides of a TOML file (``[[day_off]]`` / ``[[working_day]]`` tables).

    No path, or a path to a file that does not exist, gives the ``holidays`` package alone. Anything wrong in
    the file raises :class:`ConfigurationError` naming the file and the entry.
    """
    if path is None or not path.exists():
        return WorkingCalendar()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: cannot read the calendar overrides: {exc}") from exc
    unknown = sorted(set(data) - {"day_off", "working_day"})
    if unknown:
        raise ConfigurationError(f"{path}: unknown key(s) {', '.join(unknown)}; expected [[day_off]], [[working_day]]")
    days_off = _entries(path, data, "day_off")
    working = _entries(path, data, "working_day")
    for d, name in working.items():
        if d in days_off:
            raise ConfigurationError(
                f"{path}: {d.isoformat()} is listed both as [[day_off]] ({days_off[d]!r}) "
                f"and as [[working_day]] ({name!r})"
            )
    return WorkingCalendar(days_off, working)


def default_calendar() -> WorkingCalendar:
    """``config/calendar-vn.toml`` (relative to the working directory) when it exists, else no overrides."""
    return load_calendar(DEFAULT_CALENDAR_PATH)


def _entries(path: Path, data: Mapping[str, Any], key: str) -> dict[date, str]:
    raw = data.get(key, [])
    if not isinstance(raw, list):
        raise ConfigurationError(f"{path}: {key!r} must be an array of tables, written [[{key}]]")
    found: dict[date, str] = {}
    for number, entry in enumerate(raw, start=1):
        where = f"{path}: [[{key}]] entry {number}"
        day, name = _entry(where, entry)
        if day in found:
            raise ConfigurationError(f"{where}: {day.isoformat()} is listed twice (first as {found[day]!r})")
        if key == "working_day" and day.weekday() < 5:
            raise ConfigurationError(
                f"{where}: {day.isoformat()} is a {_WEEKDAYS[day.weekday()]}; "
                "a [[working_day]] turns a Saturday or Sunday into a working day"
            )
        found[day] = name
    return found


def _entry(where: str, entry: object) -> tuple[date, str]:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where}: expected a table with 'date' and 'name'")
    extra = sorted(set(entry) - {"date", "name"})
    if extra:
        raise ConfigurationError(f"{where}: unknown key(s) {', '.join(extra)}; expected 'date' and 'name'")
    day = entry.get("date")
    if not isinstance(day, date) or isinstance(day, datetime):
        shown = "missing" if day is None else f"{day!r} is not a date"
        raise ConfigurationError(f"{where}: 'date' {shown}; write a TOML date, unquoted: date = 2025-05-02")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigurationError(f"{where} ({day.isoformat()}): 'name' must be a non-empty text")
    return day, name.strip()
