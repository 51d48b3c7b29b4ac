"""People's identifiers: the 12-digit personal identification number (số định danh cá nhân, printed on the căn cước
card) and party card numbers.

The personal number's layout (Circular 07/2016/TT-BCA, amended by 59/2021/TT-BCA): three digits for the province
where the birth was registered, one digit for the century of birth and sex, two for the year of birth within the
century, six assigned at random. The province codes are those of the 63 provinces before the 2025 merger: numbers
issued then stay valid, so the list does not change with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_PROVINCE_TABLE = """
001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 040
042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 083 084
086 087 089 091 092 093 094 095 096
"""
PROVINCE_CODES: frozenset[str] = frozenset(_PROVINCE_TABLE.split())
_DIGITS = re.compile(r"[0-9]{12}")
_CARD = re.compile(r"[0-9A-Za-z][0-9A-Za-z./-]{0,31}")


@dataclass(frozen=True)
class IdentifierProblem:
    """Why an identifier is refused: a stable code and the message in both languages."""

    code: str
    en: str
    vi: str

    def __str__(self) -> str:
        return f"{self.vi} ({self.en})"


def personal_id_problems(
    value: str, *, birth_date: date | None = None, sex: str | None = None
) -> list[IdentifierProblem]:
    """Every reason ``value`` is not a valid personal identification number (an empty list if it is). With the
    person's birth date and sex, the century-and-sex digit and the year digits must agree with them."""
    if not _DIGITS.fullmatch(value):
        return [
            IdentifierProblem(
                "personal_id_format",
                f"a personal identification number is 12 digits, not {value!r}",
                f"Số định danh cá nhân gồm 12 chữ số, không phải {value!r}",
            )
        ]
    problems: list[IdentifierProblem] = []
    if value[:3] not in PROVINCE_CODES:
        problems.append(
            IdentifierProblem(
                "personal_id_province",
                f"{value[:3]} is not a province code (the number's first three digits)",
                f"{value[:3]} không phải mã tỉnh (ba chữ số đầu)",
            )
        )
    code = int(value[3])
    century, female = 1900 + 100 * (code // 2), code % 2 == 1
    if birth_date is not None and (birth_date.year // 100 * 100 != century or birth_date.year % 100 != int(value[4:6])):
        problems.append(
            IdentifierProblem(
                "personal_id_birth_year",
                f"digits 4–6 ({value[3:6]}) do not match the year of birth {birth_date.year}",
                f"Chữ số thứ 4–6 ({value[3:6]}) không khớp năm sinh {birth_date.year}",
            )
        )
    if sex is not None and (sex == "female") != female:
        problems.append(
            IdentifierProblem(
                "personal_id_sex",
                f"digit 4 ({code}) is for a {'woman' if female else 'man'}, the person is recorded as {sex}",
                f"Chữ số thứ 4 ({code}) ứng với giới tính {'nữ' if female else 'nam'}, khác với hồ sơ",
            )
        )
    return problems


def card_number_problems(value: str) -> list[IdentifierProblem]:
    """A party card number: letters, digits and ``. / -``, at most 32 characters, starting with a letter or digit."""
    if _CARD.fullmatch(value):
        return []
    return [
        IdentifierProblem(
            "card_number_format",
            f"a party card number is up to 32 letters, digits, '.', '/' or '-', not {value!r}",
            f"Số thẻ đảng viên gồm tối đa 32 chữ, số, '.', '/' hoặc '-', không phải {value!r}",
        )
    ]
