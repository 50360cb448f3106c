"""Numbers in ClientToolbox reports, read with one rule per field because the formats differ.

Counts (``earned``, ``redeemed``, ``liability``, points balances) carry comma thousands
separators: ``"4,437"``, ``"-3,010"``. Money equivalents (``monetary_equivalent``,
``balance_equivalent``) use a dot decimal mark and no grouping (``"9.51"``, ``"-6"``): read those
with :func:`pos_app.domain.money.parse_api_amount`, which refuses commas, so ``"1,427"`` in a
money field is flagged instead of being guessed as 1427 or 1.427.
"""

from __future__ import annotations

import math
import re
from typing import Final

from pos_app.domain.errors import ReportNumberError

__all__ = ["parse_count"]

_COUNT_RE: Final = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)")
_MAX_TEXT: Final = 32


def parse_count(value: object) -> int:
    """An integer count as a report writes it: ``"4,437"``, ``"-3,010"``, ``"6021"``, or a JSON int.

    Commas are accepted only as proper thousands groups; ``"1.427"``, ``"4,43"`` and ``"9.51"``
    are refused because a count has no decimals and a misplaced mark means we misread the field.
    """
    if isinstance(value, bool) or value is None:
        raise ReportNumberError(f"Unexpected count in the report: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        raise ReportNumberError(f"Unexpected count in the report: {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= _MAX_TEXT and _COUNT_RE.fullmatch(text):
            return int(text.replace(",", ""))
        shown = text if len(text) <= 20 else f"{text[:17]}..."
        raise ReportNumberError(f"Unexpected count in the report: {shown!r}")
    raise ReportNumberError(f"Unexpected count in the report: {type(value).__name__}")
