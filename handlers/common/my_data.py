"""/omattiedot: what the bot holds about a person, readable first, machine-readable beside it.

:func:`summary_lines` turns the export of :mod:`storage.personal_data` (table → rows, other
people's ids already left out) into short lines in the person's language: what is kept,
since when, and until when; the message around them says why and how long. The same data
goes with it as a JSON file (:func:`json_file`), where messages still waiting to be delivered
carry their text as plain text.

The retention stated here is what the code does: everything goes once the person has not
used the bot for 12 months and is in no project (``bot/maintenance.py``), contact requests
after :data:`storage.contact_requests.RETENTION_DAYS` days, the audit log keeps its entries
with the person's id replaced by an anonymous mark after /unohda.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.common.coordination import project_name
from handlers.common.file_names import file_name
from handlers.common.participation import group_name
from handlers.common.start import LANGUAGE_NAMES
from handlers.core.context import Context
from handlers.core.types import Day, Document, Param, Text
from storage import contact_requests
from storage.clock import from_text

Rows = Sequence[Mapping[str, Any]]


def _day(ctx: Context, stamp: Any) -> Day:
    return Day(from_text(str(stamp)).astimezone(ctx.services.timezone).date())


def _rows(data: Mapping[str, Any], table: str) -> Rows:
    rows = data.get(table)
    return rows if isinstance(rows, list) else []


def _account(ctx: Context, data: Mapping[str, Any]) -> list[Param]:
    lines: list[Param] = []
    for user in _rows(data, "users"):
        language = LANGUAGE_NAMES.get(str(user["locale"]), LANGUAGE_NAMES["fi"])
        lines.append(
            Text(
                "mydata.line_account",
                {"since": _day(ctx, user["created_at"]), "language": Text(language)},
            )
        )
        if user["display_name"]:
            lines.append(Text("mydata.line_name", {"name": str(user["display_name"])}))
        if not user["news_opt_in"]:
            lines.append(Text("mydata.line_news_off"))
    return lines


def _memberships(ctx: Context, data: Mapping[str, Any]) -> list[Param]:
    lines: list[Param] = []
    for row in _rows(data, "memberships"):
        project = project_name(ctx, str(row["project"]))
        since = _day(ctx, row["joined_at"])
        if row["role"] == "coordinator":
            lines.append(Text("mydata.line_coordinator", {"project": project, "since": since}))
        elif row["left_at"]:
            until = _day(ctx, row["left_at"])
            lines.append(
                Text("mydata.line_left", {"project": project, "since": since, "until": until})
            )
        else:
            group = group_name(ctx.services, str(row["project"]), row["grp"], ctx.locale)
            lines.append(
                Text(
                    "mydata.line_participant",
                    {
                        "project": project,
                        "group": Text("mydata.group_part", {"group": group}) if group else "",
                        "since": since,
                    },
                )
            )
    return lines


def _meetings(data: Mapping[str, Any]) -> list[Param]:
    lines: list[Param] = []
    answers = len(_rows(data, "rsvps"))
    marks = len(_rows(data, "attendance"))
    ratings = _rows(data, "ratings")
    if answers or marks or ratings:
        lines.append(
            Text(
                "mydata.line_answers",
                {
                    "answers": answers,
                    "marks": marks,
                    "ratings": len(ratings),
                    "comments": sum(1 for r in ratings if r["comment"]),
                },
            )
        )
    own = len(_rows(data, "meetings"))
    if own:
        lines.append(Text("mydata.line_own_meetings", {"count": own}))
    coming = sum(1 for r in _rows(data, "reminders") if r["state"] == "pending")
    if coming:
        lines.append(Text("mydata.line_reminders", {"count": coming}))
    return lines


def _requests_and_answers(ctx: Context, data: Mapping[str, Any]) -> list[Param]:
    lines: list[Param] = []
    asked = _rows(data, "contact_requests")
    if asked:
        oldest = min(from_text(str(r["created_at"])) for r in asked)
        goes = oldest + dt.timedelta(days=contact_requests.RETENTION_DAYS)
        lines.append(
            Text(
                "mydata.line_contacts",
                {
                    "count": len(asked),
                    "days": contact_requests.RETENTION_DAYS,
                    "next": Day(goes.astimezone(ctx.services.timezone).date()),
                },
            )
        )
    for row in _rows(data, "exit_situations"):
        lines.append(
            Text(
                "mydata.line_exit",
                {
                    "project": project_name(ctx, str(row["project"])),
                    "situation": Text(f"exit.answer_{row['situation']}"),
                    "day": Day(dt.date.fromisoformat(str(row["answered_on"]))),
                },
            )
        )
    return lines


def _bookkeeping(data: Mapping[str, Any]) -> list[Param]:
    lines: list[Param] = []
    messages = _rows(data, "outbox")
    waiting = sum(1 for r in messages if r["state"] == "pending")
    if waiting:
        lines.append(Text("mydata.line_queued", {"count": waiting}))
    if len(messages) > waiting:
        lines.append(Text("mydata.line_sent", {"count": len(messages) - waiting}))
    told = len(_rows(data, "notices_about_you"))
    if told:
        lines.append(Text("mydata.line_notices", {"count": told}))
    sent = len(_rows(data, "broadcasts"))
    if sent:
        lines.append(Text("mydata.line_broadcasts", {"count": sent}))
    logged = len(_rows(data, "audit_log"))
    if logged:
        lines.append(Text("mydata.line_audit", {"count": logged}))
    if _rows(data, "conversations"):
        lines.append(Text("mydata.line_conversation"))
    if _rows(data, "budget_drafts"):
        lines.append(Text("mydata.line_budget_draft"))
    return lines


def summary_lines(ctx: Context, data: Mapping[str, Any]) -> list[Param]:
    """One line per kind of data the person has (nothing for what they do not have)."""
    return [
        *_account(ctx, data),
        *_memberships(ctx, data),
        *_meetings(data),
        *_requests_and_answers(ctx, data),
        *_bookkeeping(data),
    ]


def json_file(ctx: Context, user_id: str, data: Mapping[str, Any]) -> Document:
    """The export as JSON; a message still waiting to be delivered shows its text."""
    tables: dict[str, Any] = {}
    for table, rows in data.items():
        shown = []
        for row in rows:
            item = dict(row)
            markup = item.pop("html", None)
            if isinstance(markup, str) and markup:
                item["text"] = ctx.services.rendering.to_plain(markup)
            shown.append(item)
        tables[table] = shown
    body = {"exported_at": ctx.now.isoformat(), "user_id": user_id, "tables": tables}
    content = json.dumps(body, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    return Document(file_name(ctx, "file.my_data", ".json"), content, "application/json")
