"""The JSON columns' encoder and decoder: orjson, with the standard library as the fallback for what orjson
refuses (integers wider than 64 bits), so every value ``json`` could store still stores.

Every fire encodes and decodes about seven small JSON documents (the instance's dates, flags, papers and
extensions, the event's payload, papers and votes); orjson does each in well under a microsecond where ``json``
takes several. Non-string keys are written as strings, as ``json`` does. Input is checked before it gets here
(``domain/inputs.json_safe``: no NaN or infinity, no NUL), so the two encoders agree on everything stored.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, option=_OPTIONS).decode()
    except TypeError:  # e.g. an integer beyond 64 bits: the standard library writes it
        return json.dumps(value)


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # e.g. an integer beyond 64 bits written by the fallback above
        return json.loads(text)
