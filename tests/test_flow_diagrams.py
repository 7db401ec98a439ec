"""The flows' diagrams in docs/flows/ are drawn from the declarations (``hankebot diagrams``)
and must be what the code declares now."""

from __future__ import annotations

from pathlib import Path

from bot.cli import main
from bot.cli_diagrams import stale
from handlers.core.diagrams import mermaid, pages
from handlers.registry import build_registry

DOCS = Path(__file__).resolve().parent.parent / "docs" / "flows"


def test_docs_flows_are_up_to_date() -> None:
    differ = stale(DOCS, pages(build_registry()))
    assert differ == [], f"docs/flows is stale ({', '.join(differ)}): run hankebot diagrams"


def test_every_flow_has_a_page_and_the_index_links_it() -> None:
    registry = build_registry()
    drawn = pages(registry)
    assert set(drawn) == {f"{name}.md" for name in registry.flows} | {"README.md"}
    for name in registry.flows:
        assert f"[`{name}`]({name}.md)" in drawn["README.md"]


def test_a_diagram_shows_steps_inputs_moves_and_sub_flows() -> None:
    registry = build_registry()
    faq = mermaid(registry.flows["faq"])
    assert faq.startswith("stateDiagram-v2\n")
    assert "    [*] --> step_answer" in faq
    assert "    step_answer --> step_project" in faq
    assert "    step_project --> call_contact" in faq  # the contact request sub-flow
    assert "    call_contact --> [*]: returns" in faq
    assert "    step_project : buttons q:p" in faq
    edit = mermaid(registry.flows["meeting_edit"])
    assert "    [*] --> step_confirm" in edit  # an entry besides the first step


def test_the_command_writes_and_checks(tmp_path: Path) -> None:
    out = tmp_path / "flows"
    assert main(["diagrams", "--check", "--out", str(out)]) == 1  # nothing there yet
    assert main(["diagrams", "--out", str(out)]) == 0
    assert main(["diagrams", "--check", "--out", str(out)]) == 0
    (out / "faq.md").write_text("old", encoding="utf-8")
    (out / "gone.md").write_text("a flow that no longer exists", encoding="utf-8")
    assert stale(out, pages(build_registry())) == ["faq.md", "gone.md"]
    assert main(["diagrams", "--out", str(out)]) == 0
    assert stale(out, pages(build_registry())) == []
