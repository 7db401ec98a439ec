"""The small HTML subset our catalogs use, turned into plain text and split to fit limits."""

from __future__ import annotations

import html
from html.parser import HTMLParser


class _PlainText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href:
            self.parts.append(f" ({self._href})")
            self._href = None

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_plain(markup: str) -> str:
    """Readable plain text: tags dropped, links kept as "text (url)", entities decoded."""
    if "<" not in markup and "&" not in markup:
        return markup
    parser = _PlainText()
    parser.feed(markup)
    parser.close()
    return "".join(parser.parts)


def plain_to_html(text: str) -> str:
    return html.escape(text, quote=False)


def split_html(markup: str, limit: int) -> list[str]:
    """Split a message at paragraph, then line, boundaries so each part fits ``limit``.

    Catalog texts keep their tags within one line, so a line boundary never cuts a tag.
    The length is measured on the visible text, as Telegram does.
    """
    if visible_length(markup) <= limit:
        return [markup]
    parts: list[str] = []
    current = ""
    for line in markup.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if visible_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        while visible_length(line) > limit:  # one enormous line: cut its plain text
            plain = html_to_plain(line)
            cut = _prefix_within(plain, limit)
            parts.append(plain_to_html(plain[:cut]))
            line = plain_to_html(plain[cut:])
        current = line
    if current:
        parts.append(current)
    return parts


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """The longest prefix length (in characters) whose UTF-16 length is at most ``limit``."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def visible_length(markup: str) -> int:
    """Length in UTF-16 code units of what the reader sees (Telegram's measure)."""
    return _utf16_units(html_to_plain(markup))
