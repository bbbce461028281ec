"""Text laid out for a terminal: lines wrapped to its width, continuation lines indented.

Pure functions, like :mod:`archive.render`, applied by the command line to
what it prints when standard output is a terminal (never when piped). ANSI
colour sequences take no width; East Asian wide characters take two columns.
"""

from __future__ import annotations

import re
import unicodedata

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SPACES = re.compile(r"(\s+)")
#: Narrowest width worth wrapping to; below it lines are left alone.
MIN_WIDTH = 20


def width_of(text: str) -> int:
    """Columns *text* takes on a terminal (colour codes none, wide characters two)."""
    plain = _ANSI.sub("", text)
    return sum(
        0
        if unicodedata.combining(ch)
        else 2
        if unicodedata.east_asian_width(ch) in ("W", "F")
        else 1
        for ch in plain
    )


def wrap(text: str, width: int, *, hang: str = "") -> str:
    """*text* with each line longer than *width* columns broken at spaces.

    A continuation line keeps the broken line's own indentation (so indented
    passages stay indented), plus *hang*. A word longer than the width is
    left whole on its own line rather than cut.
    """
    if width < MIN_WIDTH:
        return text
    return "\n".join(_wrap_line(line, width, hang) for line in text.split("\n"))


def _wrap_line(line: str, width: int, hang: str) -> str:
    if width_of(line) <= width:
        return line
    body = line.lstrip(" ")
    indent = line[: len(line) - len(body)] + hang
    if width_of(indent) > width // 2:
        indent = hang
    out: list[str] = []
    current = line[: len(line) - len(body)]
    used = width_of(current)
    fresh = True  # nothing but indentation on the current line yet
    for word in (w for w in _SPACES.split(body) if w and not w.isspace()):
        size = width_of(word)
        if not fresh and used + 1 + size > width:
            out.append(current)
            current, used, fresh = indent, width_of(indent), True
        if fresh:
            current += word
            used += size
            fresh = False
        else:
            current += " " + word
            used += 1 + size
    out.append(current)
    return "\n".join(out)
