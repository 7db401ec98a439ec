"""Catalog entries changed by the merger in the session of 2026-12-03 (afternoon): a report
line read "ei näytetä (alle 5) (tavoite 4,5)", two sets of brackets in a row."""

ENTRIES = {
    "report.not_shown": {
        "fi": "ei näytetä, alle 5",
        "sv": "visas inte, under 5",
        "en": "not shown, fewer than 5",
    },
}
