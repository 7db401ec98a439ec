"""Mermaid state diagrams of the flows, drawn from their declarations (nothing kept by hand).

``hankebot diagrams`` writes :func:`pages` to ``docs/flows/<flow>.md``; a test draws them
again and fails when the committed pages differ, so the documentation cannot fall behind
the code. Each page has the diagram (a step's inputs as its description, the places it may
go as arrows, other flows and sub-flows as their own states) and the same as a table.
"""

from __future__ import annotations

import inspect

from handlers.core.flow import (
    END,
    Call,
    Flow,
    FlowRef,
    Input,
    Registry,
    Step,
    Target,
)

_INPUT_WORDS = {
    Input.TEXT: "text",
    Input.NUMBER: "number",
    Input.DATE: "date",
    Input.FILE: "file",
}


def _id(step: str) -> str:
    return f"step_{step}"


def _target_id(target: Target) -> str:
    if target is END:
        return "[*]"
    if isinstance(target, FlowRef):
        return f"flow_{target.name}"
    if isinstance(target, Call):
        return f"call_{target.flow}"
    return _id(str(target))


def accepts_text(step: Step) -> str:
    """What a step takes, in words: "text, number · buttons b:eu"."""
    accepts = step.accepts or frozenset()
    typed = [word for kind, word in _INPUT_WORDS.items() if kind in accepts]
    families = [f.prefix for f in step.families]
    parts = [", ".join(typed)] if typed else []
    if families:
        parts.append("buttons " + ", ".join(families))
    return " · ".join(parts) or "nothing"


def _targets(step: Step) -> list[Target]:
    order = {str: 0, FlowRef: 1, Call: 2}
    return sorted(
        step.goes_to or (),
        key=lambda t: (3, "") if t is END else (order.get(type(t), 0), str(t)),
    )


def _where(target: Target) -> str:
    if target is END:
        return "the end"
    if isinstance(target, FlowRef):
        return f"flow `{target.name}`"
    if isinstance(target, Call):
        back = "the end" if target.return_to is END else f"`{target.return_to}`"
        return f"sub-flow `{target.flow}`, back to {back}"
    return f"`{target}`"


def mermaid(flow: Flow) -> str:
    """The flow as a mermaid ``stateDiagram-v2``."""
    lines = ["stateDiagram-v2"]
    for name in flow.steps:
        lines.append(f'    state "{name}" as {_id(name)}')
    others: dict[str, str] = {}
    for step in flow.steps.values():
        for target in _targets(step):
            if isinstance(target, FlowRef):
                others[_target_id(target)] = f"flow {target.name}"
            elif isinstance(target, Call):
                others[_target_id(target)] = f"sub-flow {target.flow}"
    for node, label in sorted(others.items()):
        lines.append(f'    state "{label}" as {node}')
    for name, step in flow.steps.items():
        lines.append(f"    {_id(name)} : {accepts_text(step)}")
    for entry in flow.entry_points():
        lines.append(f"    [*] --> {_id(entry)}")
    returns: set[tuple[str, str]] = set()
    for name, step in flow.steps.items():
        for target in _targets(step):
            lines.append(f"    {_id(name)} --> {_target_id(target)}")
            if isinstance(target, Call):
                returns.add((_target_id(target), _target_id(target.return_to)))
    for node, back in sorted(returns):
        lines.append(f"    {node} --> {back}: returns")
    return "\n".join(lines) + "\n"


def _module_of(flow: Flow) -> str:
    step = flow.steps[flow.first]
    module = inspect.getmodule(step.handle)
    name = module.__name__ if module is not None else "?"
    return name.replace(".", "/") + ".py" if module is not None else name


def page(flow: Flow, registry: Registry | None = None) -> str:
    """The Markdown page of one flow: its diagram and the same as a table."""
    callers = sorted(
        {
            f"`{other.name}`"
            for other in (registry.flows.values() if registry else ())
            for step in other.steps.values()
            for target in step.goes_to or ()
            if isinstance(target, Call) and target.flow == flow.name
        }
    )
    out = [
        f"# Flow `{flow.name}`",
        "",
        f"Drawn from the declaration in `{_module_of(flow)}` by `hankebot diagrams`;"
        " do not edit by hand.",
        "",
    ]
    if callers:
        out += [f"A sub-flow: called by {', '.join(callers)}, it returns to its caller.", ""]
    out += ["```mermaid", mermaid(flow).rstrip("\n"), "```", ""]
    out += ["| step | takes | goes to |", "| --- | --- | --- |"]
    for name, step in flow.steps.items():
        first = " (first)" if name == flow.first else ""
        entry = " (entry)" if name in flow.entries else ""
        where = ", ".join(_where(target) for target in _targets(step))
        out.append(f"| `{name}`{first}{entry} | {accepts_text(step)} | {where} |")
    if flow.use_buttons:
        out += ["", f"Typed text where only buttons do is answered with `{flow.use_buttons}`."]
    if flow.moved:
        out += ["", "Steps of earlier versions, resumed where they live now:", ""]
        for old, moved in sorted(flow.moved.items()):
            out.append(f"- `{old}` → `{moved.call.flow}.{moved.step}`")
    return "\n".join(out) + "\n"


def pages(registry: Registry) -> dict[str, str]:
    """``<flow>.md`` → its page, for every registered flow, and ``README.md``, the index."""
    found = {f"{name}.md": page(flow, registry) for name, flow in sorted(registry.flows.items())}
    index = [
        "# Flows",
        "",
        "Every conversation of the bot, drawn from its declaration by `hankebot diagrams`"
        " (`handlers/core/diagrams.py`); `tests/test_flow_diagrams.py` fails when a page here"
        " differs from what the code declares.",
        "",
        "| flow | first step | steps |",
        "| --- | --- | --- |",
    ]
    for name, flow in sorted(registry.flows.items()):
        index.append(f"| [`{name}`]({name}.md) | `{flow.first}` | {len(flow.steps)} |")
    found["README.md"] = "\n".join(index) + "\n"
    return found
