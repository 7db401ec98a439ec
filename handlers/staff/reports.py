"""Project reports for coordinators: ``/raportti [HANKE] [csv]``.

The summary comes with a PNG chart and a button for the CSV file. Figures are computed by
:mod:`storage.reports` (one source per section, plugged in when its tables exist) and
protected by :mod:`handlers.domain.report_math` (counts below 5 are shown as "< 5"; rates and
averages over fewer than 5 are not shown). Only the project's coordinators and the
administrators may see a project's report, and only in a private chat with the bot (in a
group the answer says so and nothing else); every view and export is in the audit log.

```mermaid
stateDiagram-v2
    [*] --> choose: /raportti (several projects)
    [*] --> summary: /raportti HANKE
    choose --> summary: project button
    summary --> csv: CSV button or /raportti HANKE csv
```
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from handlers.common.buttons import REPORT
from handlers.common.coordination import (
    csv_bytes,
    in_private_chat,
    is_staff,
    manageable_projects,
    project_exists,
    project_name,
)
from handlers.common.file_names import file_name
from handlers.core.context import Context
from handlers.core.flow import Command, MenuEntry, Registry
from handlers.core.ports import Rendering
from handlers.core.types import Day, Document, InvalidInput, Lines, Param, Percent, Text
from handlers.domain import extras
from handlers.domain.report_math import Kind, Metric, Report, csv_rows
from messages.words import command_names, every
from storage import audit
from storage import reports as report_store

CSV_WORDS = frozenset(every(lambda words: words.answers.file))


def metric_value(metric: Metric) -> Param:
    value = metric.value
    if value is None:
        return Text("report.not_shown")
    if isinstance(value, Decimal):
        if metric.kind is Kind.PERCENT:
            return Percent(value, 1)
        return Text("report.rating_value", {"value": value})
    return value


def report_lines(report: Report) -> Lines:
    """The report as lines: a heading per section, then "label: value (target)"."""
    lines: list[Param] = []
    for section in report.sections:
        lines.append(Text(f"report.section_{section.key}"))
        for metric in section.metrics:
            params: dict[str, Param] = {
                "label": Text(f"report.metric_{metric.key}"),
                "value": metric_value(metric),
            }
            if metric.target is not None:
                params["target"] = metric.target
                lines.append(Text("report.line_target", params))
            else:
                lines.append(Text("report.line", params))
    return Lines(tuple(lines))


def chart_labels(rendering: Rendering, locale: str, report: Report) -> dict[str, str]:
    return {
        metric.key: rendering.plain(locale, f"report.metric_{metric.key}")
        for section in report.sections
        for metric in section.metrics
    }


def report_csv(report: Report) -> bytes:
    return csv_bytes(["section", "metric", "value", "target"], csv_rows(report))


def report_options(ctx: Context) -> report_store.Options:
    """The report settings from the content (the rating target of programme.yaml)."""
    content = ctx.services.content
    if content is None:
        return report_store.Options()
    return report_store.Options(rating_target=content.programme.rating_target)


async def _show(ctx: Context, slug: str) -> None:
    ctx.require_coordinator(slug)
    report = await report_store.build(ctx.conn, slug, ctx.now, report_options(ctx))
    await audit.record(
        ctx.conn, actor=ctx.user.user_id, action="report.view", now=ctx.now, project=slug
    )
    rendering = ctx.services.rendering
    name = project_name(ctx, slug)
    day = Day(ctx.now.astimezone(ctx.services.timezone).date())
    title = rendering.plain(ctx.locale, "report.chart_title", {"project": name, "day": day})
    chart = None
    if extras.charts_available():  # without the charts extra: the text and the CSV
        from handlers.domain.report_chart import render_png  # matplotlib loads on first use

        png = await asyncio.to_thread(
            render_png, report, chart_labels(rendering, ctx.locale, report), title
        )
        chart = Document(file_name(ctx, "file.report", ".png", project=slug), png, "image/png")
    ctx.reply(
        "report.summary",
        project=name,
        day=day,
        lines=report_lines(report),
        document=chart,
        buttons=[[REPORT.button("report.csv_button", f"csv:{slug}")]],
    )


async def _send_csv(ctx: Context, slug: str) -> None:
    ctx.require_coordinator(slug)
    report = await report_store.build(ctx.conn, slug, ctx.now, report_options(ctx))
    await audit.record(
        ctx.conn, actor=ctx.user.user_id, action="report.csv", now=ctx.now, project=slug
    )
    ctx.reply(
        "report.csv_ready",
        project=project_name(ctx, slug),
        document=Document(
            file_name(ctx, "file.report", ".csv", project=slug), report_csv(report), "text/csv"
        ),
    )


async def report_command(ctx: Context) -> None:
    ctx.require_coordinator()
    if not in_private_chat(ctx):
        return
    words = ctx.args.lower().split()
    want_csv = bool(words) and words[-1] in CSV_WORDS
    if want_csv:
        words = words[:-1]
    if len(words) > 1:
        raise InvalidInput("report.usage")
    if words:
        slug = words[0]
        if not project_exists(ctx, slug):
            raise InvalidInput("coord.unknown_project", project=slug)
    else:
        projects = await manageable_projects(ctx)
        if len(projects) != 1:
            kind = "csv" if want_csv else "view"
            ctx.reply(
                "report.choose",
                buttons=[
                    [
                        REPORT.button(
                            "report.project_button",
                            f"{kind}:{p}",
                            params={"project": project_name(ctx, p)},
                        )
                    ]
                    for p in projects
                ],
            )
            return
        slug = projects[0]
    if want_csv:
        await _send_csv(ctx, slug)
    else:
        await _show(ctx, slug)


async def report_button(ctx: Context) -> None:
    """``rep:view:SLUG`` and ``rep:csv:SLUG``; the presser's role is checked here."""
    ctx.require_coordinator()
    if not in_private_chat(ctx):
        return
    assert ctx.payload is not None
    parts = ctx.payload.split(":")
    if len(parts) != 3 or not project_exists(ctx, parts[2]):
        ctx.reply("error.old_button")
        return
    if parts[1] == "view":
        await _show(ctx, parts[2])
    elif parts[1] == "csv":
        await _send_csv(ctx, parts[2])
    else:
        ctx.reply("error.old_button")


def register(registry: Registry) -> None:
    registry.add_command(
        Command(
            command_names("report"),
            report_command,
            "cmd.report",
            visible=is_staff,
            order=52,
        )
    )
    registry.add_global_payload(REPORT, report_button)
    registry.add_menu_entry(MenuEntry("menu.report", "cmd:raportti", visible=is_staff, order=520))
