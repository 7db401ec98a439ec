"""Catalog entries changed by the merger's own commits in session 6."""

ENTRIES = {
    # The example pair's percentage was 80 %, the same figure as the (unconfirmed) usual
    # maximum shown after it: an example must not read as the rule.
    "budget.eu_typed_ask": {
        "fi": (
            "Kirjoita haettava osuus prosentteina (esim. 75 %) tai summa euroina "
            "(esim. 207 522 €). Jos valmiissa suunnitelmassa on molemmat, kirjoita molemmat: "
            "207 522 € 75 %. Nettokustannukset ovat {net}; enimmäisosuus on yleensä {maximum}."
        ),
        "sv": (
            "Skriv andelen i procent (t.ex. 75 %) eller beloppet i euro (t.ex. 207 522 €). "
            "Om en färdig plan har båda, skriv båda: 207 522 € 75 %. Nettokostnaderna är "
            "{net}; den högsta andelen är oftast {maximum}."
        ),
        "en": (
            "Type the share as a percentage (e.g. 75 %) or the amount in euros (e.g. 207 522 €). "
            "If a written plan has both, type both: 207 522 € 75 %. The net total is {net}; "
            "the maximum is usually {maximum}."
        ),
    },
}
