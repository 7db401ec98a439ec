"""``hankebot budget`` and ``hankebot check-content``, run in-process."""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.cli_budget import add_budget_parser, add_check_content_parser
from bot.i18n import catalog, renderer
from content.loader import DEFAULT_CONTENT_DIR
from handlers.domain.budget_math import BudgetProblem
from handlers.domain.money import InputProblem, Per


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hankebot")
    commands = parser.add_subparsers(dest="command", required=True)
    add_budget_parser(commands)
    add_check_content_parser(commands)
    return parser.parse_args(list(argv))


def run(argv: Sequence[str]) -> tuple[int, str]:
    args = parse(argv)
    out = io.StringIO()
    code = args.handler(args, out)
    return code, out.getvalue()


def run_json(argv: Sequence[str]) -> dict[str, Any]:
    code, text = run([*argv, "--json"])
    assert code == 0
    data: dict[str, Any] = json.loads(text)
    return data


def rows(data: dict[str, Any]) -> dict[str, str]:
    return {row["key"]: row["amount"] for row in data["financing_plan"]["rows"]}


SEEDS = [
    # seed argv, cost summary (staff, flat, net), plan rows (eu, own, municipal, other, private)
    (
        ["--staff-total", "154 727", "--municipal", "19 499", "--other-public", "19499"],
        ("154727", "61891", "216618"),
        ("173294", "4326", "19499", "19499", "0"),
    ),
    (
        ["--staff-total", "618 629", "--own-kind", "municipal"],
        ("618629", "247452", "866081"),
        ("692864", "173217", "0", "0", "0"),
    ),
    (
        [
            "--staff-total",
            "185 294",
            "--eu-amount",
            "207 522",
            "--eu-rate",
            "80",
            "--own",
            "25945@10%",
            "--municipal",
            "25 945 € @ 10 %",
        ],
        ("185294", "74118", "259412"),
        ("207522", "25945", "25945", "0", "0"),
    ),
    (
        [
            "--staff-total",
            "6 161 688",
            "--own-kind",
            "municipal",
            "--eu-amount",
            "6901089",
            "--eu-rate",
            "80 %",
            "--own",
            "1725274@20%",
        ],
        ("6161688", "2464675", "8626363"),
        ("6901089", "1725274", "0", "0", "0"),
    ),
]


@pytest.mark.parametrize(("argv", "summary", "plan"), SEEDS)
def test_seed_budgets_as_json(
    argv: list[str], summary: tuple[str, str, str], plan: tuple[str, ...]
) -> None:
    data = run_json(["budget", *argv])
    cost = data["cost_summary"]
    assert (cost["staff"], cost["flat_rate"], cost["net_total"]) == summary
    assert cost["income"] == "0"
    assert cost["flat_rate_percent"] == "40.00"
    assert tuple(rows(data).values()) == plan
    assert data["financing_plan"]["total"] == summary[2]
    assert data["financing_plan"]["total_share"] == "100.00"
    assert data["financing_plan"]["rows"][0]["share"] == "80.00"


def test_seed_003_flags_in_json() -> None:
    data = run_json(["budget", *SEEDS[2][0]])
    flags = {(flag["code"], flag["row"], flag["difference"]) for flag in data["flags"]}
    assert flags == {
        ("row_off_stated_percent", "eu_state", "-7.60"),
        ("row_off_stated_percent", "own", "3.80"),
        ("row_off_stated_percent", "municipal", "3.80"),
    }
    labels = [row["label"] for row in data["financing_plan"]["rows"]]
    assert labels[1] == "Omarahoitus: Yksityinen rahoitus"


def test_seed_003_computed_has_no_flags() -> None:
    data = run_json(["budget", "--staff-total", "185294", "--municipal", "10%"])
    assert tuple(rows(data).values()) == ("207529", "25942", "25941", "0", "0")
    assert data["flags"] == []


def test_tables_use_the_funders_row_names() -> None:
    code, text = run(
        ["budget", "--staff-total", "154727", "--municipal", "19499", "--other-public", "19499"]
    )
    assert code == 0
    lines = text.splitlines()

    def line(label: str) -> str:
        return next(line for line in lines if label in line)

    assert line("Palkkakustannukset").split()[-2:] == ["154", "727"]
    assert line("Flat rate 40 % kehittäminen").split()[-2:] == ["61", "891"]
    assert line("Tulot (vähennetään kustannuksista)").split()[-1] == "0"
    assert line("Nettokustannusarvio yhteensä").split()[-2:] == ["216", "618"]
    assert line("Haettava EU- ja valtion rahoitus").split()[-3:] == ["173", "294", "80,00"]
    assert line("Omarahoitus: Yksityinen rahoitus").split()[-3:] == ["4", "326", "2,00"]
    assert line("Kuntarahoitus").split()[-3:] == ["19", "499", "9,00"]
    assert line("Muu julkinen rahoitus").split()[-3:] == ["19", "499", "9,00"]
    assert line("5 Yksityinen rahoitus").split()[-2:] == ["0", "0,00"]
    assert line("Rahoitussuunnitelma yhteensä").split()[-3:] == ["216", "618", "100,00"]
    assert "!" not in text


def test_flags_are_printed_with_the_tables() -> None:
    code, text = run(["budget", *SEEDS[3][0]])
    assert code == 0
    flags = [line for line in text.splitlines() if line.startswith("•")]
    assert len(flags) == 2
    assert not any("row_off_stated_percent" in line for line in text.splitlines())
    assert any("-1,40" in line for line in flags) and any("+1,40" in line for line in flags)
    # The chat's own sentence for the finding (the figures vary, the words do not).
    words = catalog("fi")["budget.flag.row_off_stated_percent"].split("{")[0].strip("• ")
    assert all(line.removeprefix("• ").startswith(words) or words in line for line in flags)


def test_staff_lines_and_a_municipal_split() -> None:
    data = run_json(
        [
            "budget",
            "--staff-line",
            "Projektipäällikkö;monthly=3300;months=12",
            "--staff-line",
            "Ohjaaja; monthly=3 300 ; pct=50 %; months=12",
            "--staff-line",
            "Opettaja;hourly=40;hours=100;side=uas-teacher",
            "--own-kind",
            "municipal",
            "--split-municipal",
            "Juva,Kangasniemi,Hirvensalmi",
            "--years",
            "2",
        ]
    )
    costs = [line["cost"] for line in data["staff_lines"]]
    assert costs == ["50070.24", "25035.12", "4816.80"]
    assert data["cost_summary"]["staff"] == "79922"  # 79 922.16
    split = data["municipal_split"]
    own = rows(data)["own"]
    assert split["total"] == f"{own}.00"
    assert [share["municipality"] for share in split["shares"]] == [
        "Juva",
        "Kangasniemi",
        "Hirvensalmi",
    ]
    assert all(len(share["per_year"]) == 2 for share in split["shares"])


def test_no_staff_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as caught:
        parse(["budget"])
    assert caught.value.code == 2


REFUSED = [
    # argv, the catalog key of the sentence the chat answers with
    (["--staff-total", "-5"], "money.error.negative"),
    (["--staff-total", "154,727"], "money.error.ambiguous"),
    (["--staff-total", "0"], "budget.error.zero_staff"),
    (["--staff-total", "1000", "--income", "2000"], "budget.error.income_exceeds_costs"),
    (["--staff-total", "1", "--eu-rate", "120"], "percent.error.too_large"),
    (["--staff-total", "1", "--own", "120%"], "percent.error.too_large"),
    (["--staff-total", "1", "--municipal", "kymmenen"], "money.error.format"),
    (["--staff-total", "100", "--municipal", "18 400,70"], "cli.budget.row_cents"),
    (["--staff-line", "monthly=1;months=1"], "cli.budget.staff_line_title"),
    (["--staff-line", "x;salary=1;months=1"], "cli.budget.staff_line_field"),
    (["--staff-line", "x;monthly=1;monthly=2;months=1"], "cli.budget.staff_line_twice"),
    (["--staff-line", "x;monthly=3300;months=0"], "budget.error.months"),
    (["--staff-line", "x;hourly=30;hours=0"], "budget.error.hours"),
    (["--staff-line", "x;monthly=0;months=12"], "budget.error.zero_pay"),
    (["--staff-line", "x;monthly=3300;pct=0;months=12"], "budget.error.working_time_range"),
    (["--staff-line", "x;monthly=3300;pct=50;hours=100"], "budget.error.working_time_with_hours"),
    (["--staff-line", "x;monthly=3300"], "budget.error.no_time"),
    (["--staff-line", "x;monthly=3300;months=12;side=nope"], "budget.error.unknown_side_cost"),
    (["--staff-total", "1", "--years", "0", "--split-municipal", "A,B"], "budget.error.years"),
    (["--staff-total", "1", "--years", "1,5", "--split-municipal", "A"], "budget.error.years"),
    (["--staff-total", "1", "--municipal-amounts", "Juva"], "cli.budget.municipal_amounts"),
    (["--staff-total", "1", "--split-municipal", "A,2"], "budget.error.names"),
    (["--staff-total", "1", "--split-municipal", "A,a"], "budget.error.duplicate_names"),
    (["--staff-total", "1", "--split-municipal", "A=0,B=1"], "budget.error.weight"),
    (
        ["--staff-total", "1", "--split-municipal", "A", "--municipal-amounts", "A=1"],
        "cli.budget.split_or_amounts",
    ),
    (["--staff-total", "1", "--municipal-amounts", "=5; Juva=3"], "cli.budget.municipal_amounts"),
    (
        ["--staff-total", "1", "--municipal-amounts", "Juva, Mikkeli=5"],
        "cli.budget.municipal_amounts",
    ),
    (["--staff-total", "1", "--municipal-amounts", "Juva=3,555"], "money.error.ambiguous"),
    (["--staff-total", "1000", "--eu-amount", "100,50"], "budget.error.not_whole_euros"),
    (["--staff-line", "x;monthly=99999;months=1"], "budget.error.pay_too_large"),
    (["--staff-line", "x;hourly=999;hours=1"], "budget.error.pay_too_large"),
    (["--staff-line", "x;monthly=3300;hourly=20;months=1"], "budget.error.both_pay"),
    (["--staff-line", "x;monthly=3300;hours=20;months=1"], "budget.error.both_time"),
    (["--staff-line", "x;months=1"], "budget.error.no_pay"),
    (["--staff-line", "x" * 81 + ";monthly=3300;months=1"], "budget.error.title_long"),
    (["--staff-line", "123;monthly=3300;months=1"], "budget.error.title"),
]


@pytest.mark.parametrize(("argv", "key"), REFUSED)
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_refusals_are_the_chats_sentences(
    argv: list[str], key: str, lang: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, text = run(["budget", *argv, "--lang", lang])
    assert code == 2 and text == ""
    error = capsys.readouterr().err.strip()
    assert error.startswith("hankebot budget: ") and len(error.splitlines()) == 1
    template = catalog(lang)[key]
    # Every fixed part of the sentence is there, in the language asked for.
    for part in re.split(r"\{\w+\}", renderer().to_plain(template)):
        assert part.strip() in error
    _, option, sentence = error.split(": ", 2)
    assert "_" not in sentence  # no code such as income_exceeds_costs
    # It points at an option that was typed, never at a field such as eu_state_amount.
    assert option.split(" ")[0] in argv and "_" not in option


# Where the sentences the CLI prints come from: its own refusals, the chat's readers it calls
# and the arithmetic's refusals (``budget.error.<BudgetProblem>``).
PRINTED_KEY = re.compile(r"^(cli\.budget|budget\.error|money\.error|percent\.error)\.\w+$")


def _keys_in(path: Path) -> set[str]:
    """Whole keys written in ``path`` (a piece of an f-string is no key: those keys are
    added by :func:`printable_keys`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pieces = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in pieces
        and PRINTED_KEY.match(node.value)
    }


ROOT = Path(__file__).resolve().parents[1]
CLI_KEYS = _keys_in(ROOT / "bot" / "cli_budget.py")


def printable_keys() -> set[str]:
    keys = CLI_KEYS | _keys_in(ROOT / "handlers" / "domain" / "budget_draft.py")
    keys |= {f"budget.error.{problem.value}" for problem in BudgetProblem}
    # a wrong unit is always said with the unit asked (wrong_unit_{per}, below)
    keys |= {
        f"money.error.{problem.value}"
        for problem in InputProblem
        if problem is not InputProblem.WRONG_UNIT
    }
    # a pay step's own wording (handlers/domain/budget_draft.py: format_{per}, wrong_unit_{per})
    keys |= {f"money.error.format_{per}" for per in Per}
    keys |= {f"money.error.wrong_unit_{per}" for per in (*Per, "total")}
    # parse_percent never finds a number ambiguous (only amounts have a thousands comma),
    # nor a unit (only pay amounts have one).
    keys |= {
        f"percent.error.{p.value}"
        for p in InputProblem
        if p not in (InputProblem.AMBIGUOUS, InputProblem.WRONG_UNIT)
    }
    return keys


def test_the_cli_reaches_each_of_its_own_refusals() -> None:
    assert CLI_KEYS  # the scan finds the keys at all
    assert {key for _, key in REFUSED} >= CLI_KEYS


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_every_error_the_cli_can_print_is_a_sentence(lang: str) -> None:
    texts = catalog(lang)
    keys = printable_keys()
    assert {"budget.error.income_exceeds_costs", "cli.budget.row_cents"} <= keys
    for key in sorted(keys):
        assert key in texts, key
        params = {name: 2 for name in re.findall(r"\{(\w+)\}", texts[key])}
        sentence = renderer().plain(lang, key, params)
        assert sentence != key and sentence.rstrip().endswith((".", ")")), (key, sentence)
        # No code such as income_exceeds_costs, too_large or PM.
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", sentence), (key, sentence)


def test_osuva_municipal_asks_end_to_end() -> None:
    # Seed 001: "Etelä-Savon Sosiaaliturvayhdistys hakee hankkeelle tukea Hirvensalmen kunnalta
    # 2 533,65 €/vuosi, Juvan sekä Kangasniemen kunnilta kultakin 3333,35 €/vuosi. Hankkeelle
    # haetaan tukea myös Mikkelin kaupungilta." Two years (DOMAIN.md: 9 200,35 €/year,
    # 18 400,70 € over two years, plus an unstated Mikkeli share).
    asks = "Hirvensalmi=2 533,65; Juva=3333,35; Kangasniemi=3 333,35; Mikkeli=?"
    argv = ["budget", "--staff-total", "100 000", "--municipal-amounts", asks, "--years", "2"]
    data = run_json(argv)
    split = data["municipal_split"]
    assert split["per_year_total"] == ["9200.35", "9200.35"]
    assert split["total"] == "18400.70"
    shares = {share["municipality"]: share for share in split["shares"]}
    assert shares["Hirvensalmi"]["per_year"] == ["2533.65", "2533.65"]
    assert shares["Juva"]["total"] == shares["Kangasniemi"]["total"] == "6666.70"
    assert shares["Mikkeli"]["total"] is None
    assert [(f["code"], f["municipality"]) for f in data["flags"]] == [
        ("municipality_amount_missing", "Mikkeli")
    ]
    code, text = run(argv)
    assert code == 0
    assert "9 200,35" in text and "18 400,70" in text and "2 533,65" in text
    missing = renderer().plain(
        "fi", "budget.flag.municipality_amount_missing", {"municipality": "Mikkeli"}
    )
    assert missing in text


def test_municipal_asks_are_checked_against_the_municipal_row() -> None:
    asks = "Hirvensalmi=2 533,65; Juva=3333,35; Kangasniemi=3 333,35"
    data = run_json(
        [
            *("budget", "--staff-total", "100 000", "--municipal", "18 401"),
            *("--municipal-amounts", asks, "--years", "2"),
        ]
    )
    [flag] = data["flags"]
    assert flag["code"] == "municipal_split_mismatch" and flag["difference"] == "-0.30"


def test_labels_follow_the_language() -> None:
    code, text = run(["budget", *SEEDS[0][0], "--lang", "en"])
    assert code == 0
    assert "Kuntarahoitus (Municipal funding)" in text
    assert catalog("en")["budget.doc.plan_sheet"] in text


def test_check_content_passes_on_the_packaged_content() -> None:
    code, text = run(["check-content"])
    assert code == 0
    assert "5 project(s)" in text


def test_check_content_reports_file_and_field(tmp_path: Path) -> None:
    root = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, root, ignore=shutil.ignore_patterns("*.py", "__*"))
    broken = root / "projects" / "toimi.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("status: funded", "status: maybe"),
        encoding="utf-8",
    )
    code, text = run(["check-content", "--content-dir", str(root)])
    assert code == 1
    assert f"{broken}: status: Input should be" in text
    assert "1 problem(s) found" in text
    budget_code, _ = run(["budget", "--staff-total", "1", "--content-dir", str(root)])
    assert budget_code == 1
