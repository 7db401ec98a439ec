"""``hankebot budget`` and ``hankebot check-content``, run in-process."""

from __future__ import annotations

import argparse
import io
import json
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.cli_budget import add_budget_parser, add_check_content_parser
from content.loader import DEFAULT_CONTENT_DIR


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
    flags = [line for line in text.splitlines() if line.startswith("!")]
    assert len(flags) == 2
    assert all("row_off_stated_percent" in line for line in flags)
    assert any("-1,40" in line for line in flags) and any("+1,40" in line for line in flags)


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


@pytest.mark.parametrize(
    "argv",
    [
        ["budget"],
        ["budget", "--staff-total", "-5"],
        ["budget", "--staff-total", "154,727"],
        ["budget", "--staff-total", "1", "--eu-rate", "120"],
        ["budget", "--staff-total", "1", "--staff-line", "x;monthly=1;months=1"],
        ["budget", "--staff-line", "monthly=1;months=1"],
        ["budget", "--staff-line", "x;salary=1;months=1"],
        ["budget", "--staff-total", "1", "--municipal", "kymmenen"],
    ],
)
def test_bad_input_is_a_usage_error(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse(argv)
    assert caught.value.code == 2


def test_impossible_budget_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(["budget", "--staff-total", "1000", "--income", "2000"])
    assert code == 2
    assert "income_exceeds_costs" in capsys.readouterr().err


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
