"""Catalog entries of branch hreplies: typed answers to the bot's questions (issue 13 item 1)."""

ENTRIES = {
    "replies.understood_yes": {
        "fi": "✔️ Ymmärsin: tulet.",
        "sv": "✔️ Jag förstod: du kommer.",
        "en": "✔️ I understood: you are coming.",
    },
    "replies.understood_no": {
        "fi": "✔️ Ymmärsin: et pääse.",
        "sv": "✔️ Jag förstod: du kan inte komma.",
        "en": "✔️ I understood: you can't come.",
    },
    "replies.understood_other": {
        "fi": "✔️ Ymmärsin: toivot toista aikaa.",
        "sv": "✔️ Jag förstod: du önskar en annan tid.",
        "en": "✔️ I understood: you would like another time.",
    },
    "replies.understood_score": {
        "fi": "✔️ Ymmärsin: arviosi on {value}.",
        "sv": "✔️ Jag förstod: ditt betyg är {value}.",
        "en": "✔️ I understood: your rating is {value}.",
    },
    "replies.understood_missed": {
        "fi": "✔️ Ymmärsin: et päässyt paikalle.",
        "sv": "✔️ Jag förstod: du kunde inte komma.",
        "en": "✔️ I understood: you didn't make it.",
    },
    "replies.understood_talk": {
        "fi": "✔️ Ymmärsin: haluat jutella ohjaajan kanssa.",
        "sv": "✔️ Jag förstod: du vill prata med handledaren.",
        "en": "✔️ I understood: you want to talk with the coach.",
    },
    "replies.understood_choice": {
        "fi": "✔️ Ymmärsin: {choice}.",
        "sv": "✔️ Jag förstod: {choice}.",
        "en": "✔️ I understood: {choice}.",
    },
    "replies.undo_button": {
        "fi": "↩️ Peru vastaus",
        "sv": "↩️ Ångra svaret",
        "en": "↩️ Undo the answer",
    },
    "replies.undone": {
        "fi": "Peruin vastauksesi. Voit vastata uudelleen.",
        "sv": "Jag ångrade ditt svar. Du kan svara igen.",
        "en": "I undid your answer. You can answer again.",
    },
    "replies.not_understood_rsvp": {
        "fi": (
            "En ymmärtänyt vastausta. Kirjoita esimerkiksi ”tulen”, ”en pääse” tai"
            " ”toinen aika”, tai valitse alta."
        ),
        "sv": (
            "Jag förstod inte svaret. Skriv till exempel ”jag kommer”, ”jag kan inte komma”"
            " eller ”annan tid”, eller välj nedan."
        ),
        "en": (
            "I didn't understand the answer. Write for example “I'm coming”, “I can't come”"
            " or “another time”, or choose below."
        ),
    },
    "replies.not_understood_rating": {
        "fi": "En ymmärtänyt vastausta. Kirjoita numero 1–5, tai valitse alta.",
        "sv": "Jag förstod inte svaret. Skriv en siffra 1–5, eller välj nedan.",
        "en": "I didn't understand the answer. Write a number 1–5, or choose below.",
    },
    "replies.not_understood_choice": {
        "fi": "En ymmärtänyt vastausta. Valitse alta.",
        "sv": "Jag förstod inte svaret. Välj nedan.",
        "en": "I didn't understand the answer. Choose below.",
    },
    "replies.reason_ask": {
        "fi": "Kerronko ohjaajalle myös, mitä kirjoitit?\n<i>{reason}</i>",
        "sv": "Ska jag också berätta för handledaren vad du skrev?\n<i>{reason}</i>",
        "en": "Shall I also tell the coach what you wrote?\n<i>{reason}</i>",
    },
    "replies.reason_yes": {
        "fi": "Kyllä, kerro",
        "sv": "Ja, berätta",
        "en": "Yes, tell them",
    },
    "replies.reason_no": {
        "fi": "Älä kerro",
        "sv": "Berätta inte",
        "en": "Don't tell",
    },
    "replies.reason_again": {
        "fi": "Vastaa ”kyllä” tai ”ei”, tai valitse alta.",
        "sv": "Svara ”ja” eller ”nej”, eller välj nedan.",
        "en": "Answer “yes” or “no”, or choose below.",
    },
    "replies.reason_sent": {
        "fi": "Kerroin ohjaajalle.",
        "sv": "Jag berättade det för handledaren.",
        "en": "I told the coach.",
    },
    "replies.reason_kept": {
        "fi": "Selvä, en kerro sitä.",
        "sv": "Okej, jag berättar det inte.",
        "en": "All right, I won't tell.",
    },
    "notify.rsvp_reason": {
        "fi": "{name} kirjoitti tapaamisesta {title}, {when} ({project}):\n<i>{reason}</i>",
        "sv": "{name} skrev om mötet {title}, {when} ({project}):\n<i>{reason}</i>",
        "en": "{name} wrote about the meeting {title}, {when} ({project}):\n<i>{reason}</i>",
    },
    "notify.rsvp_undone": {
        "fi": "{name} perui vastauksensa tapaamiseen: {title}, {when} ({project}).",
        "sv": "{name} ångrade sitt svar om mötet: {title}, {when} ({project}).",
        "en": "{name} undid their answer about the meeting: {title}, {when} ({project}).",
    },
    "replies.talk_undone": {
        "fi": "Peruin pyyntösi. Kerroin ohjaajalle, ettei yhteydenottoa tarvita.",
        "sv": "Jag ångrade din begäran. Jag berättade för handledaren att ingen kontakt behövs.",
        "en": "I took your request back. I told the coach that no contact is needed.",
    },
    "notify.talk_withdrawn": {
        "fi": "{name} perui pyyntönsä jutella ({project}). Yhteydenottoa ei tarvita.",
        "sv": "{name} ångrade sin begäran att prata ({project}). Ingen kontakt behövs.",
        "en": "{name} took back their request to talk ({project}). No contact is needed.",
    },
    "participant.mine_answer": {
        "fi": "✉️ Vastaa: {when}",
        "sv": "✉️ Svara: {when}",
        "en": "✉️ Answer: {when}",
    },
}
