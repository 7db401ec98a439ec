from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import Renderer, normalise_locale
from bot.markup import html_to_plain, split_html, visible_length
from handlers.core.types import Day, Lines, Money, Percent, Text, When

HELSINKI = ZoneInfo("Europe/Helsinki")


def test_user_text_is_escaped() -> None:
    renderer = Renderer(HELSINKI)
    rendered = renderer.param("fi", "<script>alert(1)</script> & <b>")
    assert "<" not in rendered and "&amp;" in rendered


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fi", "ti 24.11. klo 13.00"), ("sv", "tis 24.11. kl. 13.00"), ("en", "Tue 24 Nov at 13:00")],
)
def test_times_are_shown_in_helsinki(locale: str, expected: str) -> None:
    moment = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)
    assert Renderer(HELSINKI).param(locale, When(moment)) == expected


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fi", "ti 24.11. klo 13.00–14.30"),
        ("sv", "tis 24.11. kl. 13.00–14.30"),
        ("en", "Tue 24 Nov at 13:00–14:30"),
    ],
)
def test_a_meeting_shows_when_it_ends(locale: str, expected: str) -> None:
    start = dt.datetime(2026, 11, 24, 11, 0, tzinfo=dt.UTC)
    until = start + dt.timedelta(minutes=90)
    assert Renderer(HELSINKI).param(locale, When(start, until=until)) == expected


def test_money_percent_and_dates() -> None:
    renderer = Renderer(HELSINKI)
    assert renderer.param("fi", Money(Decimal("216618"))) == "216\xa0618\xa0€"
    assert renderer.param("fi", Money(Decimal("154727.5"), cents=True)) == "154\xa0727,50\xa0€"
    assert renderer.param("fi", Percent(Decimal("80"))) == "80,00\xa0%"
    assert renderer.param("fi", Day(dt.date(2026, 11, 24))) == "24.11.2026"
    assert renderer.param("en", Day(dt.date(2026, 11, 24))) == "24 Nov 2026"


def test_nested_texts_and_lines() -> None:
    renderer = Renderer(HELSINKI)
    lines = Lines((Text("cmd.help"), "<x>"))
    assert renderer.param("fi", lines) == "ohjeet\n&lt;x&gt;"


def test_locale_hints() -> None:
    assert normalise_locale("sv-FI") == "sv"
    assert normalise_locale("en_US") == "en"
    assert normalise_locale("ru") == "fi"
    assert normalise_locale(None) == "fi"


def test_plain_text_and_splitting() -> None:
    assert html_to_plain('<b>a</b> &amp; <a href="https://x.fi">b</a>') == "a & b (https://x.fi)"
    long = "\n".join(f"<b>rivi {i}</b> " + "x" * 50 for i in range(200))
    parts = split_html(long, 4096)
    assert len(parts) > 1
    assert all(visible_length(p) <= 4096 for p in parts)
    assert "\n".join(parts) == long
    emoji = "🙂" * 3000  # 6000 UTF-16 units
    assert all(visible_length(p) <= 4096 for p in split_html(emoji, 4096))
