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
from handlers.core.flow import NONEMPTY, Command, MenuEntry, Registry, one_of
from handlers.core.ports import Rendering
from handlers.core.types import Day, Document, InvalidInput, Lines, Param, Percent, Text
from handlers.domain.budget_outputs import XLSX_MIME
from handlers.domain.report_chart_texts import ChartTexts
from handlers.domain.report_math import Kind, Metric, Report, csv_rows
from handlers.staff import feedback
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


CSV_COLUMNS = ("section", "metric", "value", "target")


def chart_texts(rendering: Rendering, locale: str, report: Report) -> ChartTexts:
    """Every word of the report chart, from the catalog."""
    target = next(
        (m.target for s in report.sections for m in s.metrics if m.kind is Kind.RATING),
        None,
    )
    return ChartTexts(
        labels=chart_labels(rendering, locale, report),
        count_axis=rendering.plain(locale, "report.chart_axis_count"),
        percent_axis=rendering.plain(locale, "report.chart_axis_percent"),
        rating_axis=rendering.plain(locale, "report.chart_axis_rating"),
        target=rendering.plain(locale, "report.chart_target", {"target": target or ""}),
    )


def report_csv(rendering: Rendering, locale: str, report: Report) -> bytes:
    """The report as CSV in the reader's language: headers, sections and metrics are catalog
    texts (no English key in a Finnish file), values as the summary shows them."""
    header = [rendering.plain(locale, f"csv.report.{column}") for column in CSV_COLUMNS]
    rows = [
        (
            rendering.plain(locale, f"report.section_{section}").strip(),
            rendering.plain(locale, f"report.metric_{metric}").strip(),
            value,
            target,
        )
        for section, metric, value, target in csv_rows(report)
    ]
    return csv_bytes(header, rows)


#: The ESF+ common result indicators on leaving (Regulation (EU) 2021/1057, Annex I) that
#: the situations on leaving are counted as; their names are catalog texts.
RESULT_INDICATORS = {
    "result_job_searching": "EECR01",
    "result_education": "EECR02",
    "result_qualification": "EECR03",
    "result_employment": "EECR04",
}


def report_xlsx(rendering: Rendering, locale: str, report: Report) -> bytes:
    """The indicator report as a workbook: the result indicators on leaving under the
    funder's codes and names, then every figure as in the CSV; all words from the catalog."""
    from handlers.domain.budget_outputs import Sheet, to_xlsx

    def plain(key: str) -> str:
        return rendering.plain(locale, key).strip()

    def cell(value: str) -> int | Decimal | str:
        """Numbers stay numbers in the workbook ("83,3" → 83.3); "< 5" stays text."""
        if value.isdigit():
            return int(value)
        if value.replace(",", "", 1).isdigit():
            return Decimal(value.replace(",", "."))
        return value

    indicators: list[tuple[str | int | Decimal | None, ...]] = [
        (plain("xlsx.code"), plain("xlsx.indicator"), plain("xlsx.participants"))
    ]
    for section, metric, value, _ in csv_rows(report):
        if metric in RESULT_INDICATORS:
            code = RESULT_INDICATORS[metric]
            indicators.append((code, plain(f"xlsx.indicator.{code}"), cell(value)))
        elif section == "results" and metric == "told":
            indicators.append(("", plain(f"report.metric_{metric}"), cell(value)))
    figures: list[tuple[str | int | Decimal | None, ...]] = [
        tuple(plain(f"csv.report.{column}") for column in CSV_COLUMNS)
    ]
    figures.extend(
        (
            plain(f"report.section_{section}"),
            plain(f"report.metric_{metric}"),
            cell(value),
            target,
        )
        for section, metric, value, target in csv_rows(report)
    )
    return to_xlsx(
        [
            Sheet(plain("xlsx.sheet_indicators"), tuple(indicators), frozenset({0})),
            Sheet(plain("xlsx.sheet_report"), tuple(figures), frozenset({0})),
        ]
    )


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
    from handlers.domain.report_chart import render_png  # matplotlib loads on first use

    png = await asyncio.to_thread(
        render_png, report, chart_texts(rendering, ctx.locale, report), title
    )
    ctx.reply(
        "report.summary",
        project=name,
        day=day,
        lines=Lines((*report_lines(report).items, *await feedback.trend(ctx, slug))),
        document=Document(file_name(ctx, "file.report", ".png", project=slug), png, "image/png"),
        buttons=[
            [REPORT.button("report.csv_button", f"csv:{slug}")],
            [REPORT.button("report.xlsx_button", f"xlsx:{slug}")],
            [REPORT.button("report.feedback_button", f"feedback:{slug}")],
        ],
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
            file_name(ctx, "file.report", ".csv", project=slug),
            report_csv(ctx.services.rendering, ctx.locale, report),
            "text/csv",
        ),
    )


async def _send_xlsx(ctx: Context, slug: str) -> None:
    ctx.require_coordinator(slug)
    report = await report_store.build(ctx.conn, slug, ctx.now, report_options(ctx))
    await audit.record(
        ctx.conn, actor=ctx.user.user_id, action="report.xlsx", now=ctx.now, project=slug
    )
    content = await asyncio.to_thread(report_xlsx, ctx.services.rendering, ctx.locale, report)
    ctx.reply(
        "report.xlsx_ready",
        project=project_name(ctx, slug),
        document=Document(file_name(ctx, "file.report", ".xlsx", project=slug), content, XLSX_MIME),
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
    parts = REPORT.parse(ctx.payload, one_of("view", "csv", "xlsx", "feedback", "fbcsv"), NONEMPTY)
    if parts is None or not project_exists(ctx, parts[1]):
        ctx.reply("error.old_button")
        return
    kind, slug = parts
    if kind == "view":
        await _show(ctx, slug)
    elif kind == "csv":
        await _send_csv(ctx, slug)
    elif kind == "xlsx":
        await _send_xlsx(ctx, slug)
    elif kind == "feedback":
        await feedback.show(ctx, slug)
    elif kind == "fbcsv":
        await feedback.send_csv(ctx, slug)


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
