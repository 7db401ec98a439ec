"""Issue 15 item 1: a meeting's ratings and comments reach the project's coordinators, in a
view and a CSV, under the small-count rule (no comment of a meeting with fewer than 3
ratings unless its writer signed it), comments only to that project's coordinators; the
ratings trend is in /raportti against the target; each view is audited."""

from __future__ import annotations

import csv
import io

from handlers.domain.feedback import MIN_RATINGS_FOR_COMMENTS, Rating, per_meeting
from storage import buttons
from storage.db import Database
from tests.catalog_labels import shown
from tests.harness import Delivered, Person
from tests.meeting_helpers import ADMIN, World, local, messages_to, world

MONDAY = local(2026, 11, 2, 10, 0)


async def rate(w: World, person: Person, score: str, comment: str | None, sign: bool) -> None:
    await person.presses_key("participant.score", n=score)
    if comment is None:
        await person.presses_key("participant.comment_skip")
        return
    [asked] = await person.says(comment)
    assert asked.keys == ("participant.sign_prompt",)
    [thanks] = await person.presses_key("participant.sign_yes" if sign else "participant.sign_no")
    assert thanks.keys == ("participant.rating_thanks",)


async def rated_meetings(w: World) -> tuple[Person, list[Person]]:
    """Tuesday's meeting: two ratings (Maija signs, Pirjo does not); next Tuesday's: three,
    one anonymous comment."""
    coordinator = await w.coordinator()
    people = [
        await w.participant(1, name="Maija"),
        await w.participant(2, name="Pirjo"),
        await w.participant(3, name="Aino"),
    ]
    await w.meeting(local(2026, 11, 3, 13, 0), rule="FREQ=WEEKLY;COUNT=2")
    w.clock.advance(days=1, hours=6, minutes=1)  # Tuesday 16.01
    for person in people:
        messages_to(person, await w.tick())
    await rate(w, people[0], "5", "Oli kiva, mutta kahvi loppui", sign=True)
    await rate(w, people[1], "3", "Liian lyhyt", sign=False)
    w.clock.advance(days=7)
    for person in people:
        messages_to(person, await w.tick())
    await rate(w, people[0], "4", None, sign=False)
    await rate(w, people[1], "4", "Hyvä aihe", sign=False)
    await rate(w, people[2], "5", None, sign=False)
    coordinator.new_messages()
    return coordinator, people


def feedback_view(messages: list[Delivered]) -> Delivered:
    return next(m for m in messages if m.shows("report.feedback_view"))


async def test_the_coordinator_sees_ratings_and_comments_in_view_and_csv(db: Database) -> None:
    async with world(db, MONDAY) as w:
        coordinator, _ = await rated_meetings(w)
        report = await coordinator.says("/raportti vapautuvien-ja-kotiutuvien-tuki")
        assert any(m.shows("report.feedback_trend_title") for m in report)  # trend vs target
        assert any("tavoite 4,5" in m.text for m in report)
        view = feedback_view(await coordinator.presses_key("report.feedback_button"))
        text = view.text
        assert "Oli kiva, mutta kahvi loppui" in text and "Maija" in text  # signed
        assert "Liian lyhyt" not in text  # 2 ratings, not signed
        assert view.shows("report.feedback_hidden")
        assert "Hyvä aihe" in text  # 3 ratings: shown, without a name
        assert "Pirjo" not in text
        [csv_message] = [
            m for m in await coordinator.presses_key("report.feedback_csv_button") if m.document
        ]
        assert csv_message.document is not None
        name, content = csv_message.document
        assert name.endswith(".csv")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
        assert rows[0] == [
            shown(f"csv.feedback.{column}")
            for column in ("meeting", "start", "ratings", "average", "comment", "writer")
        ]
        cells = {cell for row in rows for cell in row}
        assert {"Oli kiva, mutta kahvi loppui", "Maija", "Hyvä aihe"} <= cells
        assert "Liian lyhyt" not in cells and "Pirjo" not in cells
        actions = await w.rows("SELECT action FROM audit_log WHERE action LIKE 'feedback.%'")
        assert actions == [("feedback.view",), ("feedback.csv",)]


async def test_comments_only_for_the_project_coordinators(db: Database) -> None:
    async with world(db, MONDAY) as w:
        _, people = await rated_meetings(w)
        admin = w.bot.person(int(ADMIN.split(":")[1]))
        await admin.says("/raportti vapautuvien-ja-kotiutuvien-tuki")
        view = feedback_view(await admin.presses_key("report.feedback_button"))
        assert view.shows("report.feedback_no_comments")
        assert "kahvi" not in view.text and "Hyvä aihe" not in view.text
        # a participant cannot open it, not even with a forged payload in their own chat
        async with w.db.transaction() as conn:
            forged = await buttons.issue(
                conn,
                people[1].user_id,
                "rep:feedback:vapautuvien-ja-kotiutuvien-tuki",
                None,
                w.clock(),
            )
        people[1].new_messages()
        refused = await people[1].presses_token(forged)
        assert refused[0].keys[0] == "error.not_allowed"
        assert all("kahvi" not in m.text for m in refused)


def test_small_count_rule() -> None:
    import datetime as dt

    start = dt.datetime(2026, 11, 3, 11, 0, tzinfo=dt.UTC)

    def rating(n: int, comment: str | None, signed: bool = False) -> Rating:
        return Rating(1, "Ryhmä", start, 4, comment, signed, f"N{n}" if signed else None)

    few = [rating(n, f"c{n}") for n in range(MIN_RATINGS_FOR_COMMENTS - 1)]
    [meeting] = per_meeting(few)
    assert meeting.comments == () and meeting.hidden == MIN_RATINGS_FOR_COMMENTS - 1
    [meeting] = per_meeting([*few, rating(9, None)])
    assert [c.text for c in meeting.comments] == ["c0", "c1"] and meeting.hidden == 0
    assert all(c.name is None for c in meeting.comments)
    [meeting] = per_meeting([rating(0, "signed", signed=True)])
    assert [(c.text, c.name) for c in meeting.comments] == [("signed", "N0")]
