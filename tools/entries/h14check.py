"""Catalog entries of branch h14check (issue 14: unconfirmed facts, content against the seeds)."""

ENTRIES = {
    # The caveat of a fact the content marks `check` (handlers/common/facts.py).
    "content.caveat": {
        "fi": "{fact} <i>(tätä ei ole vielä varmistettu)</i>",
        "sv": "{fact} <i>(detta är ännu inte bekräftat)</i>",
        "en": "{fact} <i>(not confirmed yet)</i>",
    },
    "content.caveat_label": {
        "fi": "{fact} (ei vielä varmistettu)",
        "sv": "{fact} (ännu inte bekräftat)",
        "en": "{fact} (not confirmed yet)",
    },
    # The other cost models one per line, each with its caveat when it is unconfirmed.
    "budget.model_ask": {
        "fi": (
            "Lasketaan hankkeen budjetti rahoittajan taulukoiden mukaan. Näytän laskut, jotta "
            "voit tarkistaa ne. Lopeta milloin tahansa: /peru\n"
            "\n"
            "<b>Kustannusmalli</b>\n"
            "Flat rate 40 %: {covers}\n"
            "Näitä malleja en vielä osaa laskea:\n"
            "{others}"
        ),
        "sv": (
            "Vi räknar projektets budget enligt finansiärens tabeller. Jag visar uträkningarna "
            "så att du kan kontrollera dem. Avbryt när som helst: /avbryt\n"
            "\n"
            "<b>Kostnadsmodell</b>\n"
            "Flat rate 40 %: {covers}\n"
            "De här modellerna kan jag inte räkna ännu:\n"
            "{others}"
        ),
        "en": (
            "Let's work out the project budget the way the funder's tables do. I show the "
            "arithmetic so you can check it. Stop any time: /cancel\n"
            "\n"
            "<b>Cost model</b>\n"
            "Flat rate 40 %: {covers}\n"
            "I can't compute these models yet:\n"
            "{others}"
        ),
    },
    "budget.model_other": {"fi": "• {name}", "sv": "• {name}", "en": "• {name}"},
    "idea.outside_esr": {
        "fi": (
            "<b>Tämä idea ei näytä sopivan ESR+:aan.</b>\n"
            "ESR+ rahoittaa kehittämistä, joka auttaa ihmisiä työhön, koulutukseen tai mukaan "
            "yhteiskuntaan. Valinnoistasi en löytänyt sellaista kohderyhmää tai toimintaa.\n"
            "\n"
            "Jos ideassa on tällainen osa, kokeile uudelleen ja valitse se. Muusta "
            "rahoituksesta voit kysyä esimerkiksi ELY-keskuksesta."
        ),
        "sv": (
            "<b>Den här idén verkar inte passa ESF+.</b>\n"
            "ESF+ finansierar utveckling som hjälper människor till arbete, utbildning eller "
            "delaktighet i samhället. Bland dina val hittade jag ingen sådan målgrupp eller "
            "verksamhet.\n"
            "\n"
            "Om idén har en sådan del, försök igen och välj den. Om annan finansiering kan du "
            "fråga till exempel NTM-centralen."
        ),
        "en": (
            "<b>This idea does not seem to fit ESF+.</b>\n"
            "ESF+ funds development that helps people into work, education or a part in "
            "society. Among your choices I found no such target group or activity.\n"
            "\n"
            "If the idea has such a part, try again and choose it. About other funding you "
            "can ask, for example, the ELY Centre."
        ),
    },
}
