"""The words people type are read from messages/words/*.toml: every word there is accepted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.transports.matrix import safe_filename
from content.schema import Question
from handlers.applicant.faq import small_talk
from handlers.applicant.join_check import parse_age
from handlers.common.codes import join_text_prefix
from handlers.domain.calendar_files import parse_meetings_csv
from handlers.domain.datetime_input import parse_date, parse_datetime, parse_time
from handlers.domain.money import parse_money, parse_percent
from messages.languages import LOCALES
from messages.words import words

TZ = ZoneInfo("Europe/Helsinki")
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=TZ)  # a Monday


@pytest.mark.parametrize("locale", LOCALES)
def test_every_weekday_word_names_its_day(locale: str) -> None:
    for index, names in enumerate(words(locale).dates.weekdays):
        for name in names:
            assert parse_date(name, now=NOW, tz=TZ).weekday() == index, (locale, name)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_relative_day_word_and_time_marker_is_understood(locale: str) -> None:
    dates = words(locale).dates
    for days, names in ((0, dates.today), (1, dates.tomorrow), (2, dates.day_after_tomorrow)):
        for name in names:
            assert parse_date(name, now=NOW, tz=TZ) == NOW.date() + dt.timedelta(days=days)
    for marker in dates.time_markers:
        assert parse_time(f"{marker} 13.15") == dt.time(13, 15), marker
        moment = parse_datetime(f"{dates.tomorrow[0]} {marker} 13.15", now=NOW, tz=TZ)
        assert moment == dt.datetime(2026, 11, 24, 13, 15, tzinfo=TZ)
    for marker in dates.glued_time_markers:
        assert parse_time(f"{marker}9") == dt.time(9, 0), marker


@pytest.mark.parametrize("locale", LOCALES)
def test_every_money_word_is_understood(locale: str) -> None:
    money = words(locale).money
    for multiplier, names in ((1_000, money.thousand), (1_000_000, money.million)):
        for name in names:
            # one letter only right before the currency: "2 t€"
            assert parse_money(f"2 {name}€") == Decimal(2 * multiplier), name
            if len(name) > 1:
                assert parse_money(f"2 {name}") == Decimal(2 * multiplier), name
                assert parse_money(f"2 {name} €") == Decimal(2 * multiplier), name
    for name in money.currency:
        assert parse_money(f"154 727 {name}") == Decimal(154_727), name
    for name in money.percent:
        assert parse_percent(f"12,5 {name}") == Decimal("12.5"), name


@pytest.mark.parametrize("locale", LOCALES)
def test_every_answer_word_is_understood(locale: str) -> None:
    answers = words(locale).answers
    age = Question.model_validate(
        {"id": "age", "type": "number", "text": {"fi": "Ikä?", "sv": "Ålder?", "en": "Age?"}}
    )
    for word in answers.skip:
        assert parse_age(word, age) is None, word
    for unit in answers.age_units:
        assert parse_age(f"35 {unit}", age) == 35, unit
    for word in answers.join:
        assert join_text_prefix(f"{word} K7QM-P3XA") == "K7QM-P3XA", word


@pytest.mark.parametrize("locale", LOCALES)
def test_small_talk_words_of_every_language(locale: str) -> None:
    faq = words(locale).faq
    assert small_talk(faq.greeting[0].rstrip("+")) == "greeting"
    assert small_talk(f"{faq.greeting[0].rstrip('+')} {faq.greeting_tail[0]}") == "greeting"
    assert small_talk(faq.how_are_you[0]) == "how_are_you"
    assert small_talk(faq.thanks[0]) == "thanks"


@pytest.mark.parametrize("locale", LOCALES)
def test_a_meeting_sheet_with_column_names_in_any_language(locale: str) -> None:
    calendar = words(locale).calendar

    def column(name: str) -> str:
        names = calendar.columns[name]
        return names[0] if names else name

    header = ";".join(column(name) for name in ("title", "start_date", "start_time", "repeat"))
    for kind, repeat_words in calendar.repeat.items():
        for word in repeat_words:
            (spec,) = parse_meetings_csv(f"{header}\nRyhmä;1.12.2026;10.00;{word}\n", tz=TZ)
            assert spec.title == "Ryhmä"
            assert spec.start == dt.datetime(2026, 12, 1, 10, 0, tzinfo=TZ)
            assert (spec.rule is None) == (kind == "once"), (locale, word)


def test_a_file_without_a_name_is_named_in_the_source_language() -> None:
    names = words("fi").files
    assert safe_filename("", image=True, mime_type="image/png") == f"{names.picture}.png"
    assert safe_filename(None, image=False) == names.document
