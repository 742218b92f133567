"""A student's name as the class list shows it: checked once, here, and refused in plain words (the
join page shows the server's sentence as it is)."""
from __future__ import annotations

import unicodedata

MAX_NAME = 40  # characters, as typed (a name box holds no more)
HIDDEN = ("Cc", "Cf", "Cs", "Co", "Cn")  # control, format, surrogate, private-use, unassigned
JOINERS = "\u200c\u200d"  # zero-width (non-)joiners: part of how Persian, Hindi and emoji sequences are written


class BadName(ValueError):
    """A name the room won't show; the message says why, in words a student reads."""


def person_name(text: str | None) -> str | None:
    """`text` with its outer spaces gone and inner runs of spaces made one; None for no name at all.
    BadName for a name of only spaces, one too long, or one holding control or invisible format
    characters (a newline, a right-to-left override that would turn the list's other names around)."""
    if text is None:
        return None
    name = " ".join(text.split())
    if not name:
        raise BadName("Type your name: it can't be only spaces.")
    if len(name) > MAX_NAME:
        raise BadName(f"That name is {len(name)} characters long: please use at most {MAX_NAME}.")
    if any(unicodedata.category(ch) in HIDDEN and ch not in JOINERS for ch in name):
        raise BadName("That name holds characters that can't be shown (control or invisible characters): "
                      "please use letters, digits, spaces and punctuation.")
    return name
