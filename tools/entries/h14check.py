"""Catalog entries of branch h14check (issue 14: unconfirmed facts, content against the seeds)."""

ENTRIES = {
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
