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

Search bounds (``--since``, ``--until``) are read here too, by :func:`date_bound`:
a date names a period (``2025``, ``2025-09``, ``2025-09-03``) whose start or last
moment is the bound, and relative phrases (``last month``) are read by dateparser.

Both readers tell which fields a text gave the same way: dateutil reads it twice,
filling what is missing from two different defaults; a field that comes out the same
both times was given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from archive.errors import QueryError

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
#: The two defaults dateutil fills missing fields from (see :func:`_parse_twice`).
_A = datetime(1901, 1, 1, 0, 0, 0)
_B = datetime(1902, 2, 2, 1, 1, 1)
#: The fields :func:`_first_missing` looks at, coarsest first.
_FIELDS = ("year", "month", "day", "hour", "minute")


@dataclass(frozen=True, slots=True)
class Published:
    """A parsed publication date: the stored text and a naive-UTC instant for sorting."""

    iso: str
    instant: datetime


#: A year written with a sign or with leading zeros, which dateutil misreads
#: (``-0001`` as 1, ``0001`` in an RFC 2822 date as 2001).
_ODD_YEAR = re.compile(r"^-\d|(?<![\d:.+-])(0\d{3})(?![\d:])")


def parse_date(text: str) -> Published:
    """Parse a publication date as people and feeds write it.

    A date whose instant in UTC falls outside the years 1 to 9999 cannot be stored:
    it is an error like any other text that is not a date.

    :raises ValueError: *text* is not a date (the message says why).
    """
    raw = " ".join(str(text).split())
    try:
        return _parse_date(raw)
    except OverflowError:
        raise ValueError(f"outside the years 1 to 9999 in UTC: {raw!r}") from None


def _parse_date(raw: str) -> Published:
    import warnings

    from dateutil import parser

    if not raw:
        raise ValueError("empty date")
    if len(raw) > 200:
        raise ValueError(f"not a date: {raw[:40]!r}… ({len(raw):,} characters)")
    odd = _ODD_YEAR.search(raw)
    if odd is not None and (odd[0].startswith("-") or int(odd[1]) < 1):
        raise ValueError(f"outside the years 1 to 9999 in UTC: {raw!r}")
    fast = _iso(raw)
    if fast is not None:
        return fast
    try:
        with warnings.catch_warnings():
            # An unknown zone name: the time is kept without an offset (zone unknown).
            warnings.simplefilter("ignore", parser.UnknownTimezoneWarning)
            a, b = _parse_twice(raw, dayfirst=_dayfirst(raw), tzinfos=TZINFOS)
    except (ValueError, OverflowError, TypeError) as exc:
        raise ValueError(f"not a date: {raw!r}") from exc
    missing = _first_missing(a, b)
    if missing in ("year", "month", "day"):
        raise ValueError(f"not a complete date (year, month and day): {raw!r}")
    if odd is not None and a.year != int(odd[1]):
        a = a.replace(year=int(odd[1]))  # a year before 100, written with four digits
    if missing is not None:  # no time (or only an hour): a day
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


def _parse_twice(
    raw: str, *, dayfirst: bool, tzinfos: dict[str, int] | None = None
) -> tuple[datetime, datetime]:
    """*raw* read by dateutil with the missing fields taken from :data:`_A`, then from
    :data:`_B`: the fields that are equal in the two were given.

    The second reading is skipped when no field of the first equals :data:`_A`'s
    (then every field was given, and it could only come out the same).

    :raises ValueError: dateutil cannot read *raw* (or ``OverflowError``, ``TypeError``).
    """
    from dateutil import parser

    a = parser.parse(raw, default=_A, dayfirst=dayfirst, tzinfos=tzinfos)
    if a.year == _A.year or a.month == 1 or a.day == 1 or (a.hour, a.minute) == (0, 0):
        return a, parser.parse(raw, default=_B, dayfirst=dayfirst, tzinfos=tzinfos)
    return a, a


def _first_missing(a: datetime, b: datetime) -> str | None:
    """The coarsest of :data:`_FIELDS` that the text read by :func:`_parse_twice` as
    *a* and *b* did not give (``None``: it gave all, down to the minute)."""
    return next((name for name in _FIELDS if getattr(a, name) != getattr(b, name)), None)


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


def utc_day(published: str) -> str:
    """The day (``YYYY-MM-DD``) of a stored publication date, in UTC, as dates are
    filtered (``--since``, ``published:``): ``2025-10-04T00:30:00+02:00`` is
    ``2025-10-03``. A date without a time zone is its own day."""
    day = published[:10]
    if len(published) <= 10:
        return day
    try:
        value = datetime.fromisoformat(published)
    except ValueError:
        return day
    if value.tzinfo is None or value.utcoffset() is None:
        return day
    try:
        return value.astimezone(UTC).date().isoformat()
    except OverflowError:  # the first or last hours of years 1 and 9999
        return day


_YEAR = re.compile(r"\d{4}")
#: Texts dateutil reads as a search bound: year first, or a month's name and a year or day.
_ABSOLUTE = re.compile(r"\d{4}[-/.]\d")
_NAMED = re.compile(r"[A-Za-z]{3,} \d{4}|\d{1,2} [A-Za-z]{3,}")


def date_bound(text: str, *, end: bool = False) -> datetime:
    """Read ``2025-09-03``, ``2025-09``, ``2025`` or ``last month`` as an instant.

    A date names a whole period: as a lower bound it means the period's start,
    as an upper bound (*end*) its last moment, so ``--until 2025-09`` includes
    all of September. Relative phrases (``last month``, ``3 weeks ago``,
    ``yesterday``) are read by ``dateparser``.

    :raises QueryError: *text* is not a date.
    """
    raw = " ".join(text.split())
    problem = QueryError(
        f"cannot read {text!r} as a date; try 2025-09-03, 2025-09, 2025 or 'last month'"
    )
    if not raw:
        raise problem
    if _YEAR.fullmatch(raw):
        if int(raw) < 1:
            raise problem
        return _bound(datetime(int(raw[:4]), 1, 1), "month", end=end)
    if _ABSOLUTE.match(raw) or _NAMED.search(raw):
        try:
            a, b = _parse_twice(raw, dayfirst=False)
        except (ValueError, OverflowError):
            pass  # left to dateparser
        else:
            missing = _first_missing(a, b)
            if missing != "year":  # (no year: left to dateparser)
                return _bound(a.replace(tzinfo=None), missing, end=end)
    import dateparser

    found: datetime | None = dateparser.parse(raw, settings={"PREFER_DATES_FROM": "past"})
    if found is None:
        raise problem
    return found.replace(tzinfo=None)


def _bound(given: datetime, missing: str | None, *, end: bool) -> datetime:
    """The start (or, *end*, the last moment) of the period a date names, read as
    *given* with its first missing field *missing* (see :func:`_first_missing`): its
    year when it gave no month, its month when it gave no day, its day when it gave no
    hour; the instant itself when it gave a time."""
    from dateutil.relativedelta import relativedelta

    if missing == "month":
        start, step = datetime(given.year, 1, 1), relativedelta(years=1)
    elif missing == "day":
        start, step = datetime(given.year, given.month, 1), relativedelta(months=1)
    elif missing == "hour":
        start, step = datetime(given.year, given.month, given.day), relativedelta(days=1)
    else:
        return given
    if not end:
        return start
    try:
        return start + step - timedelta(microseconds=1)
    except (OverflowError, ValueError):  # the last period before year 10000
        return datetime.max
