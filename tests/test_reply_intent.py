"""The table of typed replies (tests/reply_cases.py) read by handlers/domain/reply_intent.py.

Done-when of issue 13 item 1: at least 95 % of the answers recorded correctly, none recorded
wrongly (a wrong RSVP is worse than a question back), none of the off-topic or ambiguous
messages captured, and the FAQ's questions left to the FAQ. The figures are printed
(``pytest -s``)."""

from __future__ import annotations

import pytest

from handlers.domain.reply_intent import (
    Question,
    Verdict,
    key,
    normalise,
    one_slip,
    options_of,
    read_reply,
)
from tests.reply_cases import ANSWERS, FAQ, OFF_TOPIC


def test_the_table_is_big_enough_and_covers_every_question() -> None:
    assert len(ANSWERS) >= 150
    assert len(OFF_TOPIC) >= 60
    assert {question for _, _, question, _ in ANSWERS} == set(Question)
    assert {locale for _, locale, _, _ in ANSWERS} == {"fi", "sv", "en"}
    for _, _, question, value in ANSWERS:
        assert value in options_of(question)


def test_typed_answers_are_recorded_right_and_never_wrong() -> None:
    right, wrong, asked_back = [], [], []
    for text, locale, question, expected in ANSWERS:
        reading = read_reply(text, question, locale)
        if reading.verdict is Verdict.ANSWER and reading.answer == expected:
            right.append(text)
        elif reading.verdict is Verdict.ANSWER:
            wrong.append((text, question.value, reading.answer, expected))
        else:
            asked_back.append((text, question.value, reading.verdict.value))
    share = 100 * len(right) / len(ANSWERS)
    print(
        f"\ntyped replies: {len(right)}/{len(ANSWERS)} recorded correctly ({share:.1f} %),"
        f" {len(wrong)} wrongly, {len(asked_back)} not understood: {asked_back}"
    )
    assert wrong == []
    assert share >= 95


def test_off_topic_and_ambiguous_messages_capture_nothing() -> None:
    captured, not_to_faq = [], []
    for text, locale, question, must in OFF_TOPIC:
        reading = read_reply(text, question, locale, latest=must != "not-latest")
        if reading.verdict is Verdict.ANSWER:
            captured.append((text, question.value, reading.answer))
        if must == FAQ and reading.verdict is not Verdict.UNRELATED:
            not_to_faq.append((text, reading.verdict.value))
    print(
        f"\noff-topic or ambiguous: {len(OFF_TOPIC) - len(captured)}/{len(OFF_TOPIC)} captured"
        f" nothing; FAQ questions kept from the FAQ: {not_to_faq}"
    )
    assert captured == []
    assert not_to_faq == []


def test_a_reason_is_noticed_and_a_bare_answer_says_nothing_more() -> None:
    assert read_reply("en pääse, olen kipeä", Question.RSVP, "fi").says_more
    assert read_reply("myöhästyn", Question.RSVP, "fi").says_more
    assert not read_reply("en pääse", Question.RSVP, "fi").says_more
    assert not read_reply("tulen", Question.RSVP, "fi").says_more


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("Joooo, TULEN!!", ("joo", "tulen")),
        ("en pääse 🙁", ("en", "pääse", "🙁")),
        ("4/5", ("4",)),
        ("I’m coming", ("i'm", "coming")),
        ("👍🏽", ("👍",)),
    ],
)
def test_normalise(text: str, words: tuple[str, ...]) -> None:
    assert normalise(text) == words


def test_words_are_compared_without_umlauts_and_double_letters() -> None:
    assert key("pääse") == key("paase") == "pase"
    assert key("tuun") == "tun"


def test_one_slip_is_a_neighbouring_key_or_a_missing_swapped_or_extra_letter() -> None:
    assert one_slip("tulwn", "tulen")  # w is next to e
    assert one_slip("tlen", "tulen") is False  # four letters: too short to guess
    assert one_slip("tuelen", "tulen")
    assert one_slip("tluen", "tulen")
    assert not one_slip("tulin", "tulen")  # "I came" is another word, not a slip
    assert not one_slip("tule", "tule")
