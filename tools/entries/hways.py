"""Catalog entries of branch hways (issue 13 items 3 and 5: ways out and back, input as
typed). Apply with ``.venv/bin/python tools/catalog.py tools/entries/hways.py``."""

ENTRIES = {
    # --- the way back and out of every flow (handlers/core/ways.py) ---
    "ways.hint_back": {
        "fi": "<i>Edelliseen kysymykseen: takaisin · Lopeta: /peru</i>",
        "sv": "<i>Till föregående fråga: tillbaka · Avbryt: /avbryt</i>",
        "en": "<i>Previous question: back · Stop: /cancel</i>",
    },
    "ways.hint_out": {
        "fi": "<i>Lopeta: /peru</i>",
        "sv": "<i>Avbryt: /avbryt</i>",
        "en": "<i>Stop: /cancel</i>",
    },
    "ways.no_back": {
        "fi": "Tämä on ensimmäinen kysymys, joten takaisin ei voi mennä.",
        "sv": "Det här är den första frågan, så du kan inte gå tillbaka.",
        "en": "This is the first question, so there is no going back.",
    },
    "ways.went_back": {
        "fi": "↩️ Palataan edelliseen kysymykseen.",
        "sv": "↩️ Vi går tillbaka till föregående fråga.",
        "en": "↩️ Back to the previous question.",
    },
    # the way out is now the line every typed question gets (ways.hint_*), not in the text
    "contact.ask": {
        "count": "limit",
        "fi": (
            (
                "Miten sinuun voi ottaa yhteyttä? "
                "Kirjoita esimerkiksi puhelinnumero tai sähköpostiosoite ja halutessasi nimesi. "
                "Kirjoita vain se, minkä haluat antaa (enintään {limit} merkki)."
            ),
            (
                "Miten sinuun voi ottaa yhteyttä? "
                "Kirjoita esimerkiksi puhelinnumero tai sähköpostiosoite ja halutessasi nimesi. "
                "Kirjoita vain se, minkä haluat antaa (enintään {limit} merkkiä)."
            ),
        ),
        "sv": (
            (
                "Hur kan man kontakta dig? "
                "Skriv till exempel ett telefonnummer eller en e-postadress "
                "och ditt namn om du vill. "
                "Skriv bara det du vill ge (högst {limit} tecken)."
            ),
            (
                "Hur kan man kontakta dig? "
                "Skriv till exempel ett telefonnummer eller en e-postadress "
                "och ditt namn om du vill. "
                "Skriv bara det du vill ge (högst {limit} tecken)."
            ),
        ),
        "en": (
            (
                "How can they reach you? "
                "Type, for example, a phone number or an email address, and your name if you like. "
                "Type only what you want to give (at most {limit} character)."
            ),
            (
                "How can they reach you? "
                "Type, for example, a phone number or an email address, and your name if you like. "
                "Type only what you want to give (at most {limit} characters)."
            ),
        ),
    },
    "faq.type_question": {
        "fi": "Kirjoita kysymyksesi omin sanoin, esim. Mitä omarahoitus tarkoittaa?",
        "sv": "Skriv din fråga med egna ord, t.ex. Vad betyder egen finansiering?",
        "en": "Type your question in your own words, e.g. What does own financing mean?",
    },
}
