"""Text that cannot drive a terminal: the one cleaning every printed field goes through.

Articles come from the internet, file names from anywhere: a title, a URL or a
file name may hold an escape sequence (``ESC ]52;c;...`` writes the clipboard,
``ESC [2J`` clears the screen, ``OSC 8`` hides a link), a C1 control (U+009B is
a one-character CSI) or a bidirectional override (U+202E makes text read
backwards). :func:`for_terminal` makes each of them *visible* instead, as
``cat -v``, git and ripgrep do:

- C0 controls and DEL in caret notation: ESC is ``^[``, BEL ``^G``, CR ``^M``, DEL ``^?``
  (tab and line feed are kept: they only move the cursor forward);
- C1 controls, bidirectional embeddings, overrides and isolates (U+202A-U+202E,
  U+2066-U+2069) as ``\\u{9b}``, ``\\u{202e}``;
- a byte of a file name that is not UTF-8 (a lone surrogate from Python's
  ``surrogateescape``) as ``\\xe9``, any other lone surrogate as U+FFFD.

JSON output keeps the stored text exactly: :func:`json_escapes` writes the same
characters as JSON ``\\u`` escapes, which a JSON reader turns back into them.
"""

from __future__ import annotations

import os
import re

#: Characters that can change what a terminal does or how it orders text.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
)
#: The same, for one-line fields: line feeds and tabs are made visible too.
UNSAFE_LINE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
)
#: What JSON output escapes beyond what ``json.dumps`` does (it escapes C0 already).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(m: re.Match[str]) -> str:
    c = m[0]
    n = ord(c)
    if n < 0x20:
        return "^" + chr(n + 0x40)
    if n == 0x7F:
        return "^?"
    if 0xDC80 <= n <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{n - 0xDC00:02x}"
    if 0xD800 <= n <= 0xDFFF:
        return "\ufffd"
    return f"\\u{{{n:x}}}"


def for_terminal(text: str, *, line: bool = False) -> str:
    """*text* with every character that could drive a terminal made visible.

    :param line: a one-line field (a title, a path): line feeds and tabs are shown
        as ``^J`` and ``^I`` too, so a value never forges a line of output.
    """
    pattern = UNSAFE_LINE if line else UNSAFE
    return pattern.sub(_visible, text) if pattern.search(text) else text


def json_escapes(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with DEL, C1 controls and
    bidirectional overrides written as ``\\u`` escapes: the same value, safe to print.

    Those characters can only occur inside JSON strings, where an escape means the
    same character, so the substitution never changes the value.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


def path_text(path: str | os.PathLike[str]) -> str:
    """A file name as text that can be stored: bytes that are not UTF-8 written ``\\xe9``.

    ``os.fsdecode`` keeps such bytes as lone surrogates, which SQLite cannot store.
    """
    raw = os.fsencode(path)
    return raw.decode("utf-8", "backslashreplace")


#: What the program itself writes to a terminal and :func:`for_output` lets through:
#: :mod:`archive.render`'s bold, yellow and reset (``--color``), tqdm's cursor-up
#: (``ESC [A``), line feed, tab, carriage return (tqdm redraws its bar with it; CSV
#: ends its lines with it). Any other colour (``ESC [8m`` hides text) is made visible.
_OWN = r"\x1b\[(?:0|1|33)m|\x1b\[A|[\t\n\r]"
_OUTPUT = re.compile(f"{_OWN}|{UNSAFE.pattern}")


def _visible_unless_own(m: re.Match[str]) -> str:
    return m[0] if len(m[0]) > 1 or m[0] in "\t\n\r" else _visible(m)


def for_output(text: str) -> str:
    """*text*, about to be written to a terminal, with every control the program does not
    write itself made visible as :func:`for_terminal` does (ESC, BEL, C1, bidi overrides).

    The last line of defence, applied to everything the command line prints to a
    terminal (:func:`cli_terminal.terminal_safe`): a message that forgot
    :func:`for_terminal` still cannot drive the terminal. Text already cleaned is
    left as it is.
    """
    return _OUTPUT.sub(_visible_unless_own, text) if UNSAFE.search(text) else text
