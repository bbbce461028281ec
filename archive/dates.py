"""Publication dates: many written forms in, one stored form out.

The stored form is ISO 8601: a date (``2025-09-03``) when only a date was
given, otherwise a date-time with its UTC offset when the source gave one
(``2025-09-03T14:05:00+02:00``) and without one when the time zone is unknown.
Numeric dates such as ``03/09/2025`` are read day first (3 September), as in
most of the world's news, unless the first number cannot be a day-of-month
pairing (``09/23/2025`` is 23 September). Dates that start with the year
(``2025-09-03``, ``2025/09/03``, ``20250903``) are always year, month, day.

Time zones: a numeric offset, ``Z``, ``UT``/``UTC``/``GMT`` and the North American
zone names RFC 2822 defines (``EST``, ``EDT``, ``CST``, ``CDT``, ``MST``, ``MDT``,
``PST``, ``PDT``) are kept as an offset. Any other zone name is ambiguous
(``IST``, ``BST``, ...), so the time is stored without an offset: time zone unknown.
A time given without seconds gets ``:00``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_YEAR_FIRST = re.compile(r"\d{4}[-/.]|\d{8}(?:$|[T ])")

_H = 3600
#: Zone names with one meaning (RFC 2822 section 4.3), as UTC offsets in seconds.
TZINFOS = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5 * _H,
    "EDT": -4 * _H,
    "CST": -6 * _H,
    "CDT": -5 * _H,
    "MST": -7 * _H,
    "MDT": -6 * _H,
    "PST": -8 * _H,
    "PDT": -7 * _H,
}
_A = datetime(1901, 1, 1, 0, 0, 0)
_B = datetime(1902, 2, 2, 1, 1, 1)


@dataclass(frozen=True, slots=True)
class Published:
    """A parsed publication date: the stored text and a naive-UTC instant for sorting."""

    iso: str
    instant: datetime


def parse_date(text: str) -> Published:
    """Parse a publication date as people and feeds write it.

    :raises ValueError: *text* is not a date (the message says why).
    """
    import warnings

    from dateutil import parser

    raw = " ".join(str(text).split())
    if not raw:
        raise ValueError("empty date")
    fast = _iso(raw)
    if fast is not None:
        return fast
    try:
        with warnings.catch_warnings():
            # An unknown zone name: the time is kept without an offset (zone unknown).
            warnings.simplefilter("ignore", parser.UnknownTimezoneWarning)
            a = parser.parse(raw, default=_A, dayfirst=_dayfirst(raw), tzinfos=TZINFOS)
            # Fields that differ from the first default were given; only when some
            # equal it is a second parse with another default needed to tell.
            b = a
            if a.year == _A.year or a.month == 1 or a.day == 1 or (a.hour, a.minute) == (0, 0):
                b = parser.parse(raw, default=_B, dayfirst=_dayfirst(raw), tzinfos=TZINFOS)
    except (ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"not a date: {raw!r}") from exc
    if a.year != b.year or a.month != b.month or a.day != b.day:
        raise ValueError(f"not a complete date (year, month and day): {raw!r}")
    has_time = (a.hour, a.minute) == (b.hour, b.minute)
    if not has_time:
        day = date(a.year, a.month, a.day)
        return Published(day.isoformat(), datetime(a.year, a.month, a.day))
    if a.tzinfo is not None and a.utcoffset() is not None:
        instant = a.astimezone(UTC).replace(tzinfo=None)
        return Published(a.isoformat(), instant)
    return Published(a.isoformat(), a)


_ISO = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def _iso(raw: str) -> Published | None:
    """The common ISO 8601 forms, read without dateutil (a bulk-ingest hot spot)."""
    if not _ISO.fullmatch(raw):
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if len(raw) == 10:
        return Published(value.date().isoformat(), value)
    return from_instant(value)


def _dayfirst(raw: str) -> bool:
    # dateutil applies dayfirst even to ISO forms (2025-09-03 would become 9 March).
    return not _YEAR_FIRST.match(raw)


def from_instant(value: datetime | date) -> Published:
    """A :class:`Published` for a Python date or date-time."""
    if isinstance(value, datetime):
        if value.tzinfo is not None and value.utcoffset() is not None:
            return Published(value.isoformat(), value.astimezone(UTC).replace(tzinfo=None))
        return Published(value.isoformat(), value)
    return Published(value.isoformat(), datetime(value.year, value.month, value.day))


def date_bound(text: str, *, end: bool = False) -> datetime:
    """Read ``2025-09-03``, ``2025-09``, ``2025`` or ``last month`` as an instant.

    A date names a whole period: as a lower bound it means the period's start,
    as an upper bound (*end*) its last moment, so ``--until 2025-09`` includes
    all of September. Relative phrases (``last month``, ``3 weeks ago``,
    ``yesterday``) are read by ``dateparser``.

    :raises QueryError: *text* is not a date.
    """
    from dateutil import parser
    from dateutil.relativedelta import relativedelta

    raw = " ".join(text.split())
    from archive.errors import QueryError

    problem = QueryError(
        f"cannot read {text!r} as a date; try 2025-09-03, 2025-09, 2025 or 'last month'"
    )
    if not raw:
        raise problem
    if re.fullmatch(r"\d{4}", raw):
        a = datetime(int(raw[:4]), 1, 1)
        return a + relativedelta(years=1) - timedelta(microseconds=1) if end else a
    if re.match(r"\d{4}[-/.]\d", raw) or re.search(r"[A-Za-z]{3,} \d{4}|\d{1,2} [A-Za-z]{3,}", raw):
        try:
            a = parser.parse(raw, default=_A, dayfirst=False)
            b = parser.parse(raw, default=_B, dayfirst=False)
        except (ValueError, OverflowError):
            a = b = None
        if a is not None and b is not None and a.year == b.year:
            a = a.replace(tzinfo=None)
            if a.month != b.month:
                start, step = datetime(a.year, 1, 1), relativedelta(years=1)
            elif a.day != b.day:
                start, step = datetime(a.year, a.month, 1), relativedelta(months=1)
            elif a.hour != b.hour:
                start, step = datetime(a.year, a.month, a.day), relativedelta(days=1)
            else:
                return a
            return start + step - timedelta(microseconds=1) if end else start
    import dateparser

    found = dateparser.parse(raw, settings={"PREFER_DATES_FROM": "past"})
    if found is None:
        raise problem
    return found.replace(tzinfo=None)
