"""Typed replies the matcher was never tuned on: a held-out check of
``handlers/domain/reply_intent.py`` beside the tuning table (``tests/reply_cases.py``).

Run from the repository root: ``.venv/bin/python -m bench.reply_holdout``. Prints, for the
tuning table and for the held-out messages below (written after the tuning, run as they
are): the share recorded correctly, the number recorded wrongly, and how many off-topic or
ambiguous messages were captured. A wrong answer is worse than a question back.
"""

from __future__ import annotations

from handlers.domain.reply_intent import Question, Verdict, read_reply
from tests.reply_cases import ANSWERS, OFF_TOPIC

R, RATE, CHECK, EXIT = Question.RSVP, Question.RATING, Question.CHECK_IN, Question.EXIT

HELD_OUT: list[tuple[str, str, Question, str]] = [
    ("Joo tuun!", "fi", R, "yes"),
    ("tulossa ollaan", "fi", R, "yes"),
    ("tuun tuun", "fi", R, "yes"),
    ("Kyllä pääsen", "fi", R, "yes"),
    ("juu nähään", "fi", R, "yes"),
    ("tuleen huomenna", "fi", R, "yes"),
    ("Olen tulossa kiitos", "fi", R, "yes"),
    ("en valitettavasti pääse", "fi", R, "no"),
    ("sori mut en pääse", "fi", R, "no"),
    ("en pääse tulemaan tällä kertaa", "fi", R, "no"),
    ("En tuu tänään", "fi", R, "no"),
    ("oon kipeenä", "fi", R, "no"),
    ("olen sairaana", "fi", R, "no"),
    ("mulla on kuumetta", "fi", R, "no"),
    ("en pääse, on lääkäriaika", "fi", R, "no"),
    ("pitäis siirtää", "fi", R, "other"),
    ("voitaisko siirtää ensi viikolle", "fi", R, "other"),
    ("toinen aika kävis paremmin", "fi", R, "other"),
    ("myöhästyn 10 min", "fi", R, "yes"),
    ("tuun myöhässä", "fi", R, "yes"),
    ("sopii mulle hyvin", "fi", R, "yes"),
    ("käy hyvin", "fi", R, "yes"),
    ("jag kommer gärna", "sv", R, "yes"),
    ("tyvärr kan jag inte komma", "sv", R, "no"),
    ("yes I'll be there", "en", R, "yes"),
    ("sorry can't make it", "en", R, "no"),
    ("3", "fi", RATE, "3"),
    ("annan 4", "fi", RATE, "4"),
    ("viisi", "fi", RATE, "5"),
    ("5 oli tosi kiva", "fi", RATE, "5"),
    ("en ollu paikalla", "fi", RATE, "x"),
    ("haluun jutella", "fi", CHECK, "talk"),
    ("soittaisitko", "fi", CHECK, "talk"),
    ("tuun seuraavaan", "fi", CHECK, "yes"),
    ("haen tällä hetkellä töitä", "fi", EXIT, "job_searching"),
    ("aloitin opiskelun", "fi", EXIT, "education"),
    ("sain töitä kaupasta", "fi", EXIT, "employment"),
    ("en halua sanoa", "fi", EXIT, "none"),
    ("I'm working now", "en", EXIT, "employment"),
    ("jag studerar nu", "sv", EXIT, "education"),
]

HELD_OUT_OFF_TOPIC: list[tuple[str, str, Question]] = [
    ("mihin aikaan pitää olla siellä?", "fi", R),
    ("saako sinne tulla myöhässä?", "fi", R),
    ("tuleeko sinne muita", "fi", R),
    ("en ymmärrä", "fi", R),
    ("mitä tämä tarkoittaa", "fi", R),
    ("ehkä en pääse", "fi", R),
    ("riippuu bussista", "fi", R),
    ("kuka sä oot", "fi", R),
    ("joo ei", "fi", R),
    ("13", "fi", R),
    ("hyvää joulua", "fi", R),
    ("onko tämä botti", "fi", R),
    ("3 tai 4", "fi", RATE),
    ("en tiedä", "fi", RATE),
    ("milloin on seuraava", "fi", CHECK),
    ("mitä pitää vastata", "fi", EXIT),
    ("vet inte om jag kan", "sv", R),
    ("maybe later", "en", R),
    ("what time is it?", "en", R),
    ("who are you", "en", R),
]


def measure(
    answers: list[tuple[str, str, Question, str]], off_topic: list[tuple[str, str, Question]]
) -> tuple[float, int, int]:
    right = wrong = 0
    for text, locale, question, expected in answers:
        reading = read_reply(text, question, locale)
        if reading.verdict is Verdict.ANSWER:
            right += reading.answer == expected
            wrong += reading.answer != expected
    captured = sum(
        read_reply(text, question, locale).verdict is Verdict.ANSWER
        for text, locale, question in off_topic
    )
    return 100 * right / len(answers), wrong, captured


def main() -> None:
    tuning_off = [(t, loc, q) for t, loc, q, must in OFF_TOPIC if must != "not-latest"]
    for name, answers, off in (
        ("tuning table", ANSWERS, tuning_off),
        ("held out", HELD_OUT, HELD_OUT_OFF_TOPIC),
    ):
        share, wrong, captured = measure(answers, off)
        print(
            f"{name:13} {len(answers):4} answers: {share:5.1f} % right, {wrong} wrong;"
            f" {len(off)} off-topic: {captured} captured"
        )
    for text, locale, question, expected in HELD_OUT:
        reading = read_reply(text, question, locale)
        if reading.answer != expected:
            print(
                f"  held out, not {expected}: {text!r} → {reading.verdict.value} {reading.answer}"
            )
    for text, locale, question in HELD_OUT_OFF_TOPIC:
        reading = read_reply(text, question, locale)
        if reading.verdict is Verdict.ANSWER:
            print(f"  held out off-topic captured: {text!r} → {reading.answer}")


if __name__ == "__main__":
    main()
