"""/tietosuoja: who answers for the data, the right to complain, what membership reveals,
and a retention statement for every table the code keeps (issue 11, items 4 and 9)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.i18n import Renderer, catalog
from content import load_content
from content.loader import DEFAULT_CONTENT_DIR, PROGRAMME_FILE, PROJECTS_DIR
from content.schema import Content
from handlers.common import privacy_notice
from handlers.core.context import Services
from handlers.registry import build_registry
from messages.languages import LOCALES
from storage import audit, memberships, outbox
from storage.db import Database
from storage.personal_data import PERSONAL_TABLES
from tests.harness import Bot, Delivered, Person
from tests.test_cli_budget import run

PRISON_PROJECT = "vapautuvien-ja-kotiutuvien-tuki"
RENDER = Renderer(ZoneInfo("Europe/Helsinki"))


def content_copy(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, root, ignore=shutil.ignore_patterns("*.py", "__*"))
    return root


def fill(path: Path, field: str, name: str, contact: str) -> None:
    """Fill in a controller in a content file (the copy loses its comments; fine here)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    data[field] = {"name": name, "contact": contact}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def filled_content(tmp_path: Path) -> Content:
    root = content_copy(tmp_path)
    fill(
        root / PROJECTS_DIR / f"{PRISON_PROJECT}.yaml",
        "data_controller",
        "Mikkelin Tukiyhdistys ry",
        "tietosuoja@tukiyhdistys.example",
    )
    fill(root / PROGRAMME_FILE, "bot_operator", "Hankebotti-palvelu Oy", "dpo@hankebotti.example")
    return load_content(root)


async def join(db: Database, person: Person, project: str, role: str = "participant") -> None:
    await person.says("/start")
    async with db.transaction() as conn:
        await memberships.add(conn, person.user_id, project, role, dt.datetime.now(dt.UTC))


async def press_payload(db: Database, person: Person, payload: str) -> list[Delivered]:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT token FROM buttons WHERE chat_id = ? AND payload = ?"
            " ORDER BY created_at DESC LIMIT 1",
            (person.user_id, payload),
        )
        row = await cursor.fetchone()
    assert row is not None, payload
    return await person.presses_token(row["token"])


async def full_notice(db: Database, person: Person) -> tuple[str, str]:
    """The short summary and the whole text (all its messages) as plain text."""
    await person.says("/start")
    [short] = await person.says("/tietosuoja")
    whole = await press_payload(db, person, "privacy:more")
    assert whole, "no full text"
    return short.text, "\n".join(message.text for message in whole)


def plain(key: str, **params: Any) -> str:
    from bot.markup import html_to_plain

    return html_to_plain(RENDER.text("fi", key, params))


# --- check-content ----------------------------------------------------------------------------


def test_check_content_warns_about_an_empty_controller_but_passes() -> None:
    code, text = run(["check-content"])
    assert code == 0 and "5 project(s)" in text
    programme = DEFAULT_CONTENT_DIR / PROGRAMME_FILE
    osmari = DEFAULT_CONTENT_DIR / PROJECTS_DIR / "osmari.yaml"
    assert f"warning: {programme}: bot_operator.name:" in text
    assert f"warning: {programme}: bot_operator.contact:" in text
    assert f"warning: {osmari}: data_controller.name:" in text
    assert f"warning: {osmari}: data_controller.contact:" in text


def test_a_filled_in_controller_gives_no_warning(tmp_path: Path) -> None:
    root = content_copy(tmp_path)
    for path in sorted((root / PROJECTS_DIR).glob("*.yaml")):
        fill(path, "data_controller", "Yhdistys ry", "tietosuoja@yhdistys.example")
    fill(root / PROGRAMME_FILE, "bot_operator", "Palvelu Oy", "dpo@palvelu.example")
    code, text = run(["check-content", "--content-dir", str(root)])
    assert code == 0
    # what is left is the organisations' public contacts (tests/test_waiting_contact.py)
    assert [
        line for line in text.splitlines() if "warning" in line and "public_contact" not in line
    ] == []


def test_a_bracketed_placeholder_counts_as_empty(tmp_path: Path) -> None:
    root = content_copy(tmp_path)
    osmari = root / PROJECTS_DIR / "osmari.yaml"
    fill(osmari, "data_controller", "[rekisterinpitäjä]", "tietosuoja@osmari.example")
    code, text = run(["check-content", "--content-dir", str(root)])
    assert code == 0
    assert f"warning: {osmari}: data_controller.name:" in text
    assert f"warning: {osmari}: data_controller.contact:" not in text


# --- what a person is told ----------------------------------------------------------------------


async def test_a_participant_is_told_who_answers_for_their_data_and_how_to_complain(
    db: Database, tmp_path: Path
) -> None:
    async with Bot(db, content=filled_content(tmp_path)) as bot:
        person = bot.person()
        await join(db, person, PRISON_PROJECT)
        short, whole = await full_notice(db, person)
    assert "Mikkelin Tukiyhdistys ry" in whole and "tietosuoja@tukiyhdistys.example" in whole
    assert "Hankebotti-palvelu Oy" in whole  # the bot's operator, for everything else
    assert "tietosuojavaltuutetulle" in whole and "tietosuoja.fi" in whole
    assert plain("privacy.background") in whole
    assert "rikostaustaa ei tallenneta" not in short.lower()
    assert "rikostaustaa ei tallenneta" not in whole.lower()


async def test_an_applicant_is_told_the_operator_of_the_bot(db: Database, tmp_path: Path) -> None:
    async with Bot(db, content=filled_content(tmp_path)) as bot:
        _, whole = await full_notice(db, bot.person())
    assert "Hankebotti-palvelu Oy" in whole and "dpo@hankebotti.example" in whole
    assert "Mikkelin Tukiyhdistys ry" not in whole


async def test_missing_controller_details_are_said_to_be_missing(db: Database) -> None:
    async with Bot(db, content=load_content()) as bot:
        person = bot.person()
        await join(db, person, "osmari")
        _, whole = await full_notice(db, person)
    assert plain("privacy.controller_missing", project="Osmari") in whole
    assert plain("privacy.operator_missing_other") in whole


async def test_the_short_summary_stays_short_and_says_membership_can_reveal_a_background(
    bot: Bot,
) -> None:
    person = bot.person()
    await person.says("/start")
    [short] = await person.says("/tietosuoja")
    assert short.text == plain("privacy.short", months=12)
    assert len(short.text) < 800
    assert "taustastasi" in short.text


# --- every table has a retention statement, with the code's numbers --------------------------


async def test_every_table_has_a_retention_statement_or_a_reason_it_needs_none(
    db: Database,
) -> None:
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        tables = {row[0] for row in await cursor.fetchall()}
    stated = set(privacy_notice.STATEMENTS)
    exempt = set(privacy_notice.NOTHING_ABOUT_ANYONE)
    assert not stated & exempt
    assert tables == stated | exempt, (
        f"tables without a retention statement: {sorted(tables - stated - exempt)}; "
        f"statements for tables that do not exist: {sorted((stated | exempt) - tables)}"
    )
    personal = {spec.table for spec in PERSONAL_TABLES}
    assert personal <= stated, sorted(personal - stated)
    for statement in privacy_notice.STATEMENTS.values():
        for locale in LOCALES:
            assert statement.key in catalog(locale), (locale, statement.key)


async def test_every_retention_statement_is_shown(db: Database) -> None:
    async with Bot(db, content=load_content()) as bot:
        _, whole = await full_notice(db, bot.person())
    services = Services(
        registry=build_registry(), timezone=RENDER.timezone, admins=frozenset(), rendering=RENDER
    )
    for statement in privacy_notice.STATEMENTS.values():
        assert plain(statement.key, **statement.params(services)) in whole, statement.key


def test_the_statements_carry_the_numbers_the_code_uses() -> None:
    def rendered(table: str, **settings: Any) -> str:
        services = Services(
            registry=build_registry(),
            timezone=RENDER.timezone,
            admins=frozenset(),
            rendering=RENDER,
            **settings,
        )
        statement = privacy_notice.STATEMENTS[table]
        return plain(statement.key, **statement.params(services))

    assert f"{outbox.ENDED_RETENTION_DAYS} päivän" in rendered("outbox")
    assert audit.DEFAULT_RETENTION_DAYS == 2192
    assert "6 vuotta" in rendered("audit_log")
    assert "400 päivää" in rendered("audit_log", audit_retention_days=400)
