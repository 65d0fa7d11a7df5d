"""Making student-derived text safe to show in a terminal, XML, Markdown or HTML.

Feedback can quote what a submission printed or raised, so it may hold anything: terminal escape
sequences that repaint the screen, NUL bytes that XML forbids, lone surrogates that cannot be
encoded as UTF-8, or bidirectional overrides that make a line read differently from what it is.
Every reporter passes such text through `clean_text` first, then applies its own format's escaping.
"""

from __future__ import annotations

import re

TRUNCATION_MARKER = "\n[... truncated]"

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls except tab and newline, DEL, C1 controls, bidi overrides/isolates, the two
# noncharacters XML 1.0 forbids. They are shown as visible escapes rather than dropped, so a
# student can still see that their output contained them.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
# Everything outside XML 1.0's Char production.
_XML_ILLEGAL = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _visible_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean_text(text: object) -> str:
    """Return `text` as a string with only printable characters, tabs and newlines.

    Line endings become "\\n"; control and bidi characters become visible escapes like "\\x1b";
    lone surrogates become U+FFFD so the result always encodes as UTF-8.
    """
    s = text if isinstance(text, str) else str(text)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = _LONE_SURROGATE.sub("\ufffd", s)
    return _INVISIBLE.sub(_visible_escape, s)


def xml_legal(text: str) -> str:
    """Strip every character XML 1.0 cannot represent, even as a character reference."""
    return _XML_ILLEGAL.sub("", text)


def one_line(text: object, limit: int = 100) -> str:
    """The first non-blank line of `text`, cut to `limit` characters with "…" if anything is lost.

    Used for table cells: a reason that spans lines or runs on would break the table's layout.
    """
    lines = [line.strip() for line in clean_text(text).split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return ""
    first = " ".join(lines[0].split())
    if len(first) > limit:
        return first[: max(limit - 1, 0)].rstrip() + "…"
    if len(lines) > 1:
        return first if len(first) + 2 > limit else first + " …"
    return first


def truncate_utf8(text: str, max_bytes: int, marker: str = TRUNCATION_MARKER) -> str:
    """Cut `text` so its UTF-8 encoding, marker included, fits in `max_bytes`.

    Text that already fits is returned unchanged. The cut never splits a multi-byte character.
    `text` must already be encodable (see `clean_text`).
    """
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    room = max_bytes - len(marker.encode("utf-8"))
    if room <= 0:
        return marker.strip()[: max(max_bytes, 0)]
    return data[:room].decode("utf-8", errors="ignore") + marker
