"""Text for the terminal: user data made safe to print.

File names, column names, codes and area names come from the user's files and
may hold control characters: an ANSI escape sequence in an area name would
recolour, move the cursor or retitle the terminal when echoed, a newline would
forge a second message, a bidirectional override would reorder what is shown.
:func:`printable` escapes them all; the command line passes every message and
summary that echoes such values through it.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

__all__ = ["ERROR_LIMIT", "echo", "printable"]

#: Longest error message printed, in characters after escaping (a raw CSV row quoted by a
#: parser can be megabytes long); the rest is cut and counted.
ERROR_LIMIT = 1_000

# C0 and C1 controls and DEL (Unicode category Cc), the line and paragraph separators, and the
# bidirectional marks, embeddings, overrides and isolates.
_OTHERS = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ANY = re.compile(f"[\x00-\x1f{_OTHERS}]")
_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_OTHERS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object, *, newlines: bool = False, limit: int | None = None) -> str:
    r"""``text`` with every control character escaped, as Python writes it in a literal.

    Parameters
    ----------
    text : object
        What to print; not a string is turned into one with ``str``.
    newlines : bool
        Keep line breaks (``\n``) as they are, for a block of several lines such as a
        summary; otherwise they are escaped too, so that a message stays one line.
    limit : int, optional
        Most characters to keep (after escaping); the rest is replaced by
        ``... (N more characters)``.

    Returns
    -------
    str
        The text with C0/C1 control characters, DEL, line and paragraph separators and
        bidirectional controls written as ``\t``, ``\n``, ``\r``, ``\x1b`` or ``\u202e``.

    Examples
    --------
    >>> printable("Ward\x1b[31m red")
    'Ward\\x1b[31m red'
    >>> printable("a\nb", newlines=True)
    'a\nb'
    >>> printable("x" * 20, limit=8)
    'xxxxxxxx... (12 more characters)'
    """
    s = str(text)
    pattern = _BUT_NEWLINE if newlines else _ANY
    if pattern.search(s):
        s = pattern.sub(_escape, s)
    if limit is not None and len(s) > limit:
        s = f"{s[:limit]}... ({len(s) - limit:,} more characters)"
    return s


def echo(text: object = "", *, file: TextIO | None = None) -> None:
    """Print ``text`` (one or more lines) with control characters escaped.

    Parameters
    ----------
    text : object
        The lines to print; line breaks are kept, every other control character escaped.
    file : text stream, optional
        Where to print; standard output by default.
    """
    print(printable(text, newlines=True), file=sys.stdout if file is None else file)
