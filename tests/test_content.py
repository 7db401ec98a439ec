"""The packaged content, its schema and the loader's error reports."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from dateutil.rrule import rrulestr
from pydantic import ValidationError

from content import Content, ContentError, load_content
from content.loader import DEFAULT_CONTENT_DIR, check_content
from content.schema import Answer, Localized, Outcome, QuestionType

SEED_SLUGS = {
    "kaveria-ei-jateta",
    "osuva",
    "osmari",
    "vapautuvien-ja-kotiutuvien-tuki",
    "toimi",
}


@pytest.fixture(scope="module")
def content() -> Content:
    return load_content()


def test_every_seed_project_is_content(content: Content) -> None:
    assert set(content.projects) == SEED_SLUGS
    for slug, project in content.projects.items():
        assert project.slug == slug
        assert project.specific_objective in {"4.1", "4.2", "4.3"}
        assert project.municipalities
        assert project.contacts


def test_programme_facts(content: Content) -> None:
    programme = content.programme
    assert [o.code for o in programme.specific_objectives] == ["4.1", "4.2", "4.3"]
    assert programme.objective("4.2").check  # details unconfirmed (DOMAIN.md)
    model = programme.cost_model()
    assert model.supported and model.rate_percent == 40
    assert model.name.get("fi") == "Flat rate 40 % kehittäminen"
    assert programme.staff_costs.hours_per_year == 1720
    assert {s.key: s.percent for s in programme.staff_costs.side_costs} == {
        "general": Decimal("26.44"),
        "uas-teacher": Decimal("20.42"),
    }
    assert programme.financing.default_max_rate_percent == 80
    assert programme.budget_rows.eu_state.get("fi") == "Haettava EU- ja valtion rahoitus"
    assert len(programme.self_check) >= 13


def test_faq_has_every_language(content: Content) -> None:
    faq = content.programme.faq
    assert len(faq) >= 25
    for entry in faq:
        for locale in ("fi", "sv", "en"):
            assert entry.questions.get(locale)
            assert entry.answer.get(locale)


def test_localized_falls_back_to_finnish() -> None:
    text = Localized(fi="hei", sv="hej", en="hello")
    assert text.get("sv-FI") == "hej"
    assert text.get("en_GB") == "hello"
    assert text.get("de") == "hei"
    assert text.get(None) == "hei"


def test_localized_needs_all_three_languages() -> None:
    with pytest.raises(ValidationError):
        Localized.model_validate({"fi": "hei", "sv": "hej"})
    with pytest.raises(ValidationError):
        Localized.model_validate({"fi": "hei", "sv": "hej", "en": "  "})
    with pytest.raises(ValidationError):
        Localized.model_validate({"fi": "a", "sv": "b", "en": "c", "de": "d"})


def test_kaveria_eligibility(content: Content) -> None:
    project = content.project("kaveria-ei-jateta")
    likely = project.assess(
        {"age": 30, "municipality": "mikkeli", "situation": "labour-market-subsidy"}
    )
    assert likely.outcome is Outcome.LIKELY_ELIGIBLE and likely.decided
    too_old = project.assess({"age": 70, "municipality": "Mikkeli"})
    assert (too_old.outcome, too_old.rule_id) == (Outcome.NOT_FOR_YOU, "age-outside")
    assert too_old.try_elsewhere is not None
    elsewhere = project.assess({"age": 30, "municipality": "Juva"})
    assert elsewhere.outcome is Outcome.NOT_FOR_YOU
    studying = project.assess({"age": 30, "municipality": "Mikkeli", "situation": "studying"})
    assert studying.outcome is Outcome.NOT_SURE and studying.decided


def test_unanswered_and_dont_know_decide_nothing(content: Content) -> None:
    project = content.project("kaveria-ei-jateta")
    partial = project.assess({"age": 30})
    assert partial.outcome is Outcome.NOT_SURE and not partial.decided
    unsure = project.assess({"age": 30, "municipality": "Mikkeli", "situation": "unsure"})
    assert not unsure.decided


def test_osuva_works_outside_mikkeli_centre(content: Content) -> None:
    project = content.project("osuva")
    base: dict[str, Answer] = {"age": 40, "situation": "unemployed"}
    assert project.assess({**base, "municipality": "Juva"}).outcome is Outcome.LIKELY_ELIGIBLE
    village = project.assess({**base, "municipality": "Mikkeli", "town-centre": "no"})
    assert village.outcome is Outcome.LIKELY_ELIGIBLE
    centre = project.assess({**base, "municipality": "Mikkeli", "town-centre": "yes"})
    assert centre.outcome is Outcome.NOT_SURE
    assert centre.try_projects == ["kaveria-ei-jateta"]
    assert not project.assess({**base, "municipality": "Mikkeli"}).decided


def test_release_project_suggests_other_projects(content: Content) -> None:
    project = content.project("vapautuvien-ja-kotiutuvien-tuki")
    assert project.eligibility.question("background").sensitive
    no_background = project.assess({"age": 35, "background": "no", "area": "yes"})
    assert no_background.outcome is Outcome.NOT_FOR_YOU
    assert set(no_background.try_projects) == {"kaveria-ei-jateta", "osuva"}
    yes = project.assess({"age": 35, "background": "yes", "area": "yes"})
    assert yes.outcome is Outcome.LIKELY_ELIGIBLE
    private = project.assess({"age": 35, "background": "prefer-not-to-say", "area": "yes"})
    assert private.outcome is Outcome.NOT_SURE


def test_toimi_multi_choice(content: Content) -> None:
    project = content.project("toimi")
    assert project.eligibility.question("situation").type is QuestionType.MULTI_CHOICE
    assert len(project.municipalities) == 13
    likely = project.assess(
        {"municipality": "Lieksa", "situation": frozenset({"immigrant", "employed"})}
    )
    assert likely.outcome is Outcome.LIKELY_ELIGIBLE
    employed = project.assess({"municipality": "Lieksa", "situation": frozenset({"employed"})})
    assert employed.outcome is Outcome.NOT_FOR_YOU
    assert project.assess({"municipality": "Mikkeli"}).outcome is Outcome.NOT_FOR_YOU


def test_osmari_employers_and_jobseekers(content: Content) -> None:
    project = content.project("osmari")
    employer = project.assess({"role": "employer", "municipality": "Puumala"})
    assert employer.outcome is Outcome.LIKELY_ELIGIBLE
    not_client = project.assess({"role": "jobseeker", "municipality": "Juva", "client": "no"})
    assert not_client.outcome is Outcome.NOT_SURE and not_client.try_elsewhere is not None


def test_projects_serving_a_municipality(content: Content) -> None:
    slugs = {project.slug for project in content.projects_serving("juva")}
    assert slugs == {"osuva", "osmari"}


def test_group_rhythms(content: Content) -> None:
    womens = content.project("vapautuvien-ja-kotiutuvien-tuki").group("womens-group")
    assert womens.rhythm.periods == 4 and womens.anonymous_ok
    assert womens.rhythm.rrule is not None
    start = dt.datetime(2026, 1, 13, 13, 0)
    meetings = list(rrulestr(womens.rhythm.rrule, dtstart=start))
    assert len(meetings) == 13
    assert 80 <= (meetings[-1] - meetings[0]).days <= 95  # about three months, weekly
    release = content.project("vapautuvien-ja-kotiutuvien-tuki").group("pre-release-meetings")
    assert release.rhythm.anchor is not None
    assert release.rhythm.anchor.offset_days == (-60, -30)
    theme_day = content.project("kaveria-ei-jateta").group("theme-day")
    assert theme_day.rhythm.rrule == "FREQ=MONTHLY"


def test_contacts_are_placeholders(content: Content) -> None:
    for project in content.projects.values():
        for contact in project.contacts:
            assert contact.is_placeholder
            assert contact.email is None or contact.email.startswith("[")
            assert contact.phone is None or contact.phone.startswith("[")


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(
        DEFAULT_CONTENT_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    return target


def edit_yaml(path: Path, change: object) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_sixth_project_is_one_file(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    source = yaml.safe_load((root / "projects" / "osmari.yaml").read_text(encoding="utf-8"))
    source["slug"] = "uusi-hanke"
    source["municipalities"] = ["Pieksämäki"]
    (root / "projects" / "uusi-hanke.yaml").write_text(
        yaml.safe_dump(source, allow_unicode=True), encoding="utf-8"
    )
    content = load_content(root)
    assert len(content.projects) == 6
    assert content.project("uusi-hanke").serves("Pieksämäki")


def test_every_error_is_reported_with_file_and_field(tmp_path: Path) -> None:
    root = copy_content(tmp_path)
    projects = root / "projects"

    def break_kaveria(data: dict) -> None:  # type: ignore[type-arg]
        del data["name"]["sv"]
        data["groups"][0]["rhythm"]["rrule"] = "FREQ=FORTNIGHTLY"
        data["groups"][1]["rhythm"]["duration_minutes"] = 0

    edit_yaml(projects / "kaveria-ei-jateta.yaml", break_kaveria)
    (projects / "osmari.yaml").write_text("slug: osmari\nname: {fi: [broken\n", encoding="utf-8")
    (projects / "osuva.yaml").write_text("slug: osuva\nslug: osuva\n", encoding="utf-8")

    with pytest.raises(ContentError) as caught:
        load_content(root)
    found = {(issue.file.name, issue.location, issue.code) for issue in caught.value.issues}
    assert found == {
        ("kaveria-ei-jateta.yaml", "name.sv", "missing"),
        ("kaveria-ei-jateta.yaml", "groups[0].rhythm.rrule", "value_error"),
        ("kaveria-ei-jateta.yaml", "groups[1].rhythm.duration_minutes", "greater_than"),
        ("osmari.yaml", "line 3, column 1", "yaml"),
        ("osuva.yaml", "line 2, column 1", "yaml"),
    }
    message = str(caught.value)
    assert "5 content problem(s)" in message
    assert "kaveria-ei-jateta.yaml: name.sv: Field required" in message
    assert "duplicate key 'slug'" in message


def test_rule_and_reference_errors_point_at_the_rule(tmp_path: Path) -> None:
    root = copy_content(tmp_path)

    def break_rules(data: dict) -> None:  # type: ignore[type-arg]
        rules = data["eligibility"]["rules"]
        rules[0]["when"] = {"question": "shoe-size", "between": [1, 2]}
        rules[1]["when"] = {"all": [{"question": "situation", "between": [1, 2]}]}

    def bad_reference(data: dict) -> None:  # type: ignore[type-arg]
        data["eligibility"]["rules"][1]["try_projects"] = ["no-such-project"]

    edit_yaml(root / "projects" / "kaveria-ei-jateta.yaml", break_rules)
    edit_yaml(root / "projects" / "osmari.yaml", bad_reference)
    _, issues = check_content(root)
    found = {(issue.file.name, issue.location, issue.message) for issue in issues}
    assert found == {
        ("kaveria-ei-jateta.yaml", "eligibility.rules[0].when", "unknown question 'shoe-size'"),
        (
            "kaveria-ei-jateta.yaml",
            "eligibility.rules[1].when.all[0]",
            "between needs a number question, 'situation' is choice",
        ),
        (
            "osmari.yaml",
            "eligibility.rules[1].try_projects[0]",
            "no other project 'no-such-project'",
        ),
    }


def test_cross_file_references_are_checked(tmp_path: Path) -> None:
    root = copy_content(tmp_path)

    def wrong(data: dict) -> None:  # type: ignore[type-arg]
        data["specific_objective"] = "9.9"
        data["slug"] = "toimi-2"

    edit_yaml(root / "projects" / "toimi.yaml", wrong)
    _, issues = check_content(root)
    found = {(issue.file.name, issue.location, issue.code) for issue in issues}
    assert found == {
        ("toimi.yaml", "slug", "slug"),
        ("toimi.yaml", "specific_objective", "reference"),
    }


def test_missing_programme_is_reported(tmp_path: Path) -> None:
    (tmp_path / "projects").mkdir()
    with pytest.raises(ContentError) as caught:
        load_content(tmp_path)
    assert [issue.code for issue in caught.value.issues] == ["missing"]
