"""Times for the instructor: due dates typed at the terminal, and submission times.

nbgrader keeps every time in UTC: the assignment's ``duedate`` in the
gradebook (a naive datetime meaning UTC) and each submission's
``timestamp.txt`` (written here as ``2027-01-15 22:59:00.000000 UTC``,
which nbgrader's ``parse_utc`` reads). A time typed without an offset
(``2027-01-15T23:59``) means the wall-clock time of the timezone given by
``--tz`` (an IANA name such as ``Europe/Paris``), or of this computer's
local timezone when ``--tz`` is not given; a time with an offset
(``2027-01-15T23:59+01:00``, ``...Z``) means exactly that.
"""

from __future__ import annotations

import datetime as dt

from .errors import CourseError

__all__ = ["describe", "nbgrader_timestamp", "parse_time", "read_timestamp", "timezone",
           "utc_naive"]

UTC = dt.UTC


def timezone(name: str | None) -> dt.tzinfo | None:
    """The timezone called ``name`` (IANA, e.g. ``Europe/Paris``), or None for local time."""
    if not name:
        return None
    if name.upper() in ("UTC", "Z"):
        return UTC
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseError(
            f"unknown timezone {name!r}: give an IANA name such as Europe/Paris, "
            "America/New_York or UTC.") from None


def localize(naive: dt.datetime, tz: dt.tzinfo | None) -> dt.datetime:
    """``naive`` read as a wall-clock time of ``tz`` (None: this computer's local time)."""
    if tz is None:
        return naive.astimezone()  # Python reads a naive datetime as local time here
    return naive.replace(tzinfo=tz)


def parse_time(text: str, tz: str | None = None) -> dt.datetime:
    """Parse an ISO 8601 date-time typed by the instructor; return it as an aware UTC time.

    ``2027-01-15T23:59``, ``2027-01-15 23:59:30``, ``2027-01-15`` (midnight at the
    start of that day), or any of these with an offset (``+01:00``, ``Z``). A time
    without an offset is a wall-clock time in ``tz`` (default: local time).
    """
    raw = text.strip()
    try:
        when = dt.datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith(("Z", "z"))
                                         else raw)
    except ValueError:
        raise CourseError(
            f"cannot read the date-time {text!r}: expected ISO 8601 such as "
            "2027-01-15T23:59 (local time, or the --tz timezone), 2027-01-15T23:59+01:00 "
            "or 2027-01-15T22:59Z.") from None
    if when.tzinfo is None:
        when = localize(when, timezone(tz))
    return when.astimezone(UTC)


def utc_naive(when: dt.datetime) -> dt.datetime:
    """``when`` as the naive UTC datetime nbgrader's gradebook stores."""
    return when.astimezone(UTC).replace(tzinfo=None)


def nbgrader_timestamp(when: dt.datetime) -> str:
    """The text of a ``timestamp.txt``: ``2027-01-15 22:59:00.000000 UTC``."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def describe(when: dt.datetime | None, tz: str | None = None) -> str:
    """``when`` for the terminal, in ``tz`` (or local time) with the UTC time beside it."""
    if when is None:
        return "none"
    if when.tzinfo is None:  # the gradebook's naive UTC
        when = when.replace(tzinfo=UTC)
    zone = timezone(tz)
    local = when.astimezone(zone) if zone is not None else when.astimezone()
    text = local.strftime("%Y-%m-%d %H:%M %Z")
    if local.utcoffset() != dt.timedelta(0):
        text += when.astimezone(UTC).strftime(" (%Y-%m-%d %H:%M UTC)")
    return text


def read_timestamp(text: str) -> dt.datetime | None:
    """A ``timestamp.txt``'s time, read as nbgrader reads it (aware UTC), or None if unreadable.

    nbgrader's ``parse_utc``: ``date time TZ`` with a zone name or a numeric
    offset, or anything ``dateutil`` parses; a time without a zone is UTC.
    """
    import dateutil.parser
    import dateutil.tz

    text = text.strip()
    if not text:
        return None
    try:
        parts = text.split(" ")
        if len(parts) == 3:
            try:
                tz: object = int(parts[2])
            except ValueError:
                tz = dateutil.tz.gettz(parts[2])
            when = dateutil.parser.parse(" ".join([*parts[:2], "TZ"]), tzinfos={"TZ": tz})
        else:
            when = dateutil.parser.parse(text)
    except (ValueError, OverflowError, TypeError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
