"""Meeting feedback for coordinators: ``/raportti`` → "Palaute" shows each rated meeting's
number of ratings, average and comments, and the project's ratings month by month against
the target; a CSV of the same. Comments are shown only to that project's coordinators (an
administrator who is not one sees the figures) and under the small-count rule of
:mod:`handlers.domain.feedback`. Every view and export is audited.
"""

from __future__ import annotations

from decimal import Decimal

from handlers.common.buttons import REPORT
from handlers.common.coordination import csv_bytes, project_name
from handlers.common.file_names import file_name
from handlers.core.context import Context
from handlers.core.types import Document, Lines, Param, Text, When
from handlers.domain.feedback import Month, per_meeting
from handlers.domain.feedback import monthly as monthly_trend
from storage import audit
from storage import reports as report_store

SHOWN_MEETINGS = 10  # the view shows the newest ones; the CSV has them all


def _average(value: Decimal | None) -> Param:
    if value is None:
        return Text("report.not_shown")
    return Text("report.rating_value", {"value": value})


def trend_lines(months: list[Month], target: Decimal) -> list[Param]:
    """The ratings per month against the target (for /raportti and the feedback view)."""
    if not months:
        return []
    lines: list[Param] = [Text("report.feedback_trend_title", {"target": target})]
    lines.extend(
        Text(
            "report.feedback_month",
            {"month": f"{m.month}/{m.year}", "count": m.count, "average": _average(m.average)},
        )
        for m in months
    )
    return lines


def _target(ctx: Context) -> Decimal:
    content = ctx.services.content
    return content.programme.rating_target if content is not None else Decimal("4.5")


async def trend(ctx: Context, slug: str) -> list[Param]:
    ratings = await report_store.ratings_of(ctx.conn, slug)
    return trend_lines(monthly_trend(ratings, ctx.services.timezone), _target(ctx))


def sees_comments(ctx: Context, slug: str) -> bool:
    """Comments are for the project's own coordinators only."""
    return slug in ctx.roles.coordinator_of


async def show(ctx: Context, slug: str) -> None:
    ctx.require_coordinator(slug)
    ratings = await report_store.ratings_of(ctx.conn, slug)
    await audit.record(
        ctx.conn, actor=ctx.user.user_id, action="feedback.view", now=ctx.now, project=slug
    )
    meetings = per_meeting(ratings)
    if not meetings:
        ctx.reply("report.feedback_none", project=project_name(ctx, slug))
        return
    comments = sees_comments(ctx, slug)
    lines: list[Param] = []
    for meeting in meetings[:SHOWN_MEETINGS]:
        lines.append(
            Text(
                "report.feedback_meeting",
                {
                    "title": meeting.title,
                    "when": When(meeting.start),
                    "count": meeting.count,
                    "average": _average(meeting.average),
                },
            )
        )
        if not comments:
            continue
        for comment in meeting.comments:
            if comment.name:
                lines.append(
                    Text(
                        "report.feedback_comment_signed",
                        {"text": comment.text, "name": comment.name},
                    )
                )
            else:
                lines.append(Text("report.feedback_comment", {"text": comment.text}))
        if meeting.hidden:
            lines.append(Text("report.feedback_hidden", {"count": meeting.hidden}))
    if not comments:
        lines.append(Text("report.feedback_no_comments"))
    lines.extend(trend_lines(monthly_trend(ratings, ctx.services.timezone), _target(ctx)))
    ctx.reply(
        "report.feedback_view",
        project=project_name(ctx, slug),
        lines=Lines(tuple(lines)),
        buttons=[[REPORT.button("report.feedback_csv_button", f"fbcsv:{slug}")]],
    )


CSV_COLUMNS = ("meeting", "start", "ratings", "average", "comment", "writer")


async def send_csv(ctx: Context, slug: str) -> None:
    ctx.require_coordinator(slug)
    ratings = await report_store.ratings_of(ctx.conn, slug)
    await audit.record(
        ctx.conn, actor=ctx.user.user_id, action="feedback.csv", now=ctx.now, project=slug
    )
    rendering = ctx.services.rendering
    comments = sees_comments(ctx, slug)
    rows: list[tuple[object, ...]] = []
    for meeting in per_meeting(ratings):
        start = rendering.plain(ctx.locale, "csv.feedback.when", {"when": When(meeting.start)})
        average = "" if meeting.average is None else str(meeting.average).replace(".", ",")
        shown = meeting.comments if comments else ()
        if not shown:
            rows.append((meeting.title, start, meeting.count, average, "", ""))
        for comment in shown:
            rows.append(
                (meeting.title, start, meeting.count, average, comment.text, comment.name or "")
            )
    header = [rendering.plain(ctx.locale, f"csv.feedback.{column}") for column in CSV_COLUMNS]
    ctx.reply(
        "report.feedback_csv_ready",
        project=project_name(ctx, slug),
        document=Document(
            file_name(ctx, "file.feedback", ".csv", project=slug),
            csv_bytes(header, rows),
            "text/csv",
        ),
    )
