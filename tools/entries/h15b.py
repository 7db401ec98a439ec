"""Catalog entries of branch h15b (issue 15 finished: one consent text when a project has no
coordinator yet; it replaces the intro + "I send it to the project's staff" pair)."""

ENTRIES = {
    "contact.waiting_consent": {
        "count": "days",
        "fi": (
            "Hankkeella {project} ei ole vielä ohjaajaa tässä botissa. Jos haluat, pidän tämän"
            " yhteystiedon tallessa ja annan sen ensimmäiselle ohjaajalle, joka tulee mukaan:\n"
            "<i>{contact}</i>\n\n"
            "Muuta en tallenna, en myöskään vastauksiasi. Jos ohjaajaa ei tule {days} päivän"
            " kuluessa, poistan sen. Muuten se poistetaan {retention} päivän kuluttua."
            " Lähetetäänkö?",
            "Hankkeella {project} ei ole vielä ohjaajaa tässä botissa. Jos haluat, pidän tämän"
            " yhteystiedon tallessa ja annan sen ensimmäiselle ohjaajalle, joka tulee mukaan:\n"
            "<i>{contact}</i>\n\n"
            "Muuta en tallenna, en myöskään vastauksiasi. Jos ohjaajaa ei tule {days} päivän"
            " kuluessa, poistan sen. Muuten se poistetaan {retention} päivän kuluttua."
            " Lähetetäänkö?",
        ),
        "sv": (
            "Projektet {project} har ännu ingen handledare i den här boten. Om du vill sparar"
            " jag den här kontaktuppgiften och ger den till den första handledaren som kommer"
            " med:\n<i>{contact}</i>\n\n"
            "Inget annat sparas, inte heller dina svar. Kommer ingen handledare inom {days} dag"
            " raderar jag den. Annars raderas den efter {retention} dagar. Ska jag skicka?",
            "Projektet {project} har ännu ingen handledare i den här boten. Om du vill sparar"
            " jag den här kontaktuppgiften och ger den till den första handledaren som kommer"
            " med:\n<i>{contact}</i>\n\n"
            "Inget annat sparas, inte heller dina svar. Kommer ingen handledare inom {days}"
            " dagar raderar jag den. Annars raderas den efter {retention} dagar. Ska jag skicka?",
        ),
        "en": (
            "The project {project} has no coordinator in this bot yet. If you like, I keep this"
            " contact and give it to the first coordinator who joins:\n<i>{contact}</i>\n\n"
            "Nothing else is kept, not your answers either. If no coordinator joins within"
            " {days} day, I delete it. Otherwise it is deleted after {retention} days. Send it?",
            "The project {project} has no coordinator in this bot yet. If you like, I keep this"
            " contact and give it to the first coordinator who joins:\n<i>{contact}</i>\n\n"
            "Nothing else is kept, not your answers either. If no coordinator joins within"
            " {days} days, I delete it. Otherwise it is deleted after {retention} days. Send it?",
        ),
    },
    "contact.waiting_consent_question": {
        "count": "days",
        "fi": (
            "Hankkeella {project} ei ole vielä ohjaajaa tässä botissa. Jos haluat, pidän"
            " kysymyksesi ja yhteystietosi tallessa ja annan ne ensimmäiselle ohjaajalle, joka"
            " tulee mukaan:\n<b>Kysymys:</b> <i>{question}</i>\n"
            "<b>Yhteystieto:</b> <i>{contact}</i>\n\n"
            "Jos ohjaajaa ei tule {days} päivän kuluessa, poistan ne. Muuten ne poistetaan"
            " {retention} päivän kuluttua. Lähetetäänkö?",
            "Hankkeella {project} ei ole vielä ohjaajaa tässä botissa. Jos haluat, pidän"
            " kysymyksesi ja yhteystietosi tallessa ja annan ne ensimmäiselle ohjaajalle, joka"
            " tulee mukaan:\n<b>Kysymys:</b> <i>{question}</i>\n"
            "<b>Yhteystieto:</b> <i>{contact}</i>\n\n"
            "Jos ohjaajaa ei tule {days} päivän kuluessa, poistan ne. Muuten ne poistetaan"
            " {retention} päivän kuluttua. Lähetetäänkö?",
        ),
        "sv": (
            "Projektet {project} har ännu ingen handledare i den här boten. Om du vill sparar"
            " jag din fråga och din kontaktuppgift och ger dem till den första handledaren som"
            " kommer med:\n<b>Fråga:</b> <i>{question}</i>\n<b>Kontakt:</b> <i>{contact}</i>\n\n"
            "Kommer ingen handledare inom {days} dag raderar jag dem. Annars raderas de efter"
            " {retention} dagar. Ska jag skicka?",
            "Projektet {project} har ännu ingen handledare i den här boten. Om du vill sparar"
            " jag din fråga och din kontaktuppgift och ger dem till den första handledaren som"
            " kommer med:\n<b>Fråga:</b> <i>{question}</i>\n<b>Kontakt:</b> <i>{contact}</i>\n\n"
            "Kommer ingen handledare inom {days} dagar raderar jag dem. Annars raderas de efter"
            " {retention} dagar. Ska jag skicka?",
        ),
        "en": (
            "The project {project} has no coordinator in this bot yet. If you like, I keep your"
            " question and contact and give them to the first coordinator who joins:\n"
            "<b>Question:</b> <i>{question}</i>\n<b>Contact:</b> <i>{contact}</i>\n\n"
            "If no coordinator joins within {days} day, I delete them. Otherwise they are"
            " deleted after {retention} days. Send them?",
            "The project {project} has no coordinator in this bot yet. If you like, I keep your"
            " question and contact and give them to the first coordinator who joins:\n"
            "<b>Question:</b> <i>{question}</i>\n<b>Contact:</b> <i>{contact}</i>\n\n"
            "If no coordinator joins within {days} days, I delete them. Otherwise they are"
            " deleted after {retention} days. Send them?",
        ),
    },
    # the one person of the console chat, as coordinators see them (no clipped "…ocal")
    "people.console": {
        "fi": "Konsolin käyttäjä",
        "sv": "Konsolens användare",
        "en": "The console user",
    },
    # the reply prompt when the coordinator has no name to sign with (the reply goes unsigned)
    "open.reply_prompt_unsigned": {
        "count": "limit",
        "fi": (
            "Kirjoita vastaus: {name} saa sen tästä botista. Enintään {limit} merkki.\n"
            "<i>Lopeta: /peru</i>",
            "Kirjoita vastaus: {name} saa sen tästä botista. Enintään {limit} merkkiä.\n"
            "<i>Lopeta: /peru</i>",
        ),
        "sv": (
            "Skriv ditt svar: {name} får det i den här boten. Högst {limit} tecken.\n"
            "<i>Avbryt: /avbryt</i>",
            "Skriv ditt svar: {name} får det i den här boten. Högst {limit} tecken.\n"
            "<i>Avbryt: /avbryt</i>",
        ),
        "en": (
            "Write your reply: {name} gets it in this bot. At most {limit} character.\n"
            "<i>Stop: /cancel</i>",
            "Write your reply: {name} gets it in this bot. At most {limit} characters.\n"
            "<i>Stop: /cancel</i>",
        ),
    },
}
