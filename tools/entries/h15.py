"""Catalog entries of branch h15 (issue 15: coordinators close the loop)."""

ENTRIES = {
    # --- item 3: no dead ends ------------------------------------------------------------
    "contact.waiting_consent": {
        "count": "days",
        "fi": (
            "Hankkeella {project} ei ole vielä ohjaajaa tässä botissa. Jos lähetät, pidän"
            " pyyntösi tallessa enintään {days} päivän ja annan sen ensimmäiselle ohjaajalle,"
            " joka tulee mukaan. Jos kukaan ei tule siihen mennessä, poistan sen.",
            "Hankkeella {project} ei ole vielä ohjaajaa tässä botissa. Jos lähetät, pidän"
            " pyyntösi tallessa enintään {days} päivää ja annan sen ensimmäiselle ohjaajalle,"
            " joka tulee mukaan. Jos kukaan ei tule siihen mennessä, poistan sen.",
        ),
        "sv": (
            "Projektet {project} har ännu ingen handledare i den här boten. Om du skickar"
            " sparar jag din förfrågan i högst {days} dag och ger den till den första"
            " handledaren som kommer med. Kommer ingen före det raderar jag den.",
            "Projektet {project} har ännu ingen handledare i den här boten. Om du skickar"
            " sparar jag din förfrågan i högst {days} dagar och ger den till den första"
            " handledaren som kommer med. Kommer ingen före det raderar jag den.",
        ),
        "en": (
            "The project {project} has no coordinator in this bot yet. If you send it, I keep"
            " your request for at most {days} day and give it to the first coordinator who"
            " joins. If nobody joins by then, I delete it.",
            "The project {project} has no coordinator in this bot yet. If you send it, I keep"
            " your request for at most {days} days and give it to the first coordinator who"
            " joins. If nobody joins by then, I delete it.",
        ),
    },
    "contact.kept": {
        "count": "days",
        "fi": (
            "Pyyntösi on tallessa. Annan sen hankkeen {project} ensimmäiselle ohjaajalle, joka"
            " tulee mukaan, ja kerron sinulle, kun se on annettu. Jos kukaan ei tule {days}"
            " päivän kuluessa, poistan sen. Voit poistaa sen heti komennolla /unohda.",
            "Pyyntösi on tallessa. Annan sen hankkeen {project} ensimmäiselle ohjaajalle, joka"
            " tulee mukaan, ja kerron sinulle, kun se on annettu. Jos kukaan ei tule {days}"
            " päivän kuluessa, poistan sen. Voit poistaa sen heti komennolla /unohda.",
        ),
        "sv": (
            "Din förfrågan är sparad. Jag ger den till den första handledaren i projektet"
            " {project} som kommer med och säger till när den är given. Kommer ingen inom"
            " {days} dag raderar jag den. Du kan radera den genast med /glom.",
            "Din förfrågan är sparad. Jag ger den till den första handledaren i projektet"
            " {project} som kommer med och säger till när den är given. Kommer ingen inom"
            " {days} dagar raderar jag den. Du kan radera den genast med /glom.",
        ),
        "en": (
            "Your request is kept. I give it to the first coordinator of {project} who joins"
            " and tell you when I have. If nobody joins within {days} day, I delete it. You"
            " can delete it now with /forget.",
            "Your request is kept. I give it to the first coordinator of {project} who joins"
            " and tell you when I have. If nobody joins within {days} days, I delete it. You"
            " can delete it now with /forget.",
        ),
    },
    "contact.public": {
        "fi": "Voit myös ottaa yhteyttä suoraan: {organisation}, {means}.",
        "sv": "Du kan också kontakta dem direkt: {organisation}, {means}.",
        "en": "You can also contact them directly: {organisation}, {means}.",
    },
    "contact.waited_intro": {
        "fi": "Ennen kuin tulit mukaan, hankkeen ohjaajalle jätettiin botissa viestejä. Tässä ne:",
        "sv": (
            "Innan du kom med lämnades meddelanden till projektets handledare i boten. Här är de:"
        ),
        "en": (
            "Before you joined, people left messages for the project's coordinator. Here they are:"
        ),
    },
    "contact.delivered_to_you": {
        "fi": "Pyyntösi on nyt annettu hankkeen {project} ohjaajalle. Sinuun otetaan yhteyttä.",
        "sv": (
            "Din förfrågan har nu getts till en handledare i projektet"
            " {project}. Någon kontaktar dig."
        ),
        "en": (
            "Your request has now been given to a coordinator of"
            " {project}. Someone will contact you."
        ),
    },
    "privacy.keep.contact_requests": {
        "count": "days",
        "fi": (
            "• Yhteydenottopyynnöt ja kysymykset ihmiselle: {days} päivä. Pyyntö, joka odottaa"
            " hankkeen ensimmäistä ohjaajaa: enintään {waiting} päivää, sitten se poistetaan.",
            "• Yhteydenottopyynnöt ja kysymykset ihmiselle: {days} päivää. Pyyntö, joka odottaa"
            " hankkeen ensimmäistä ohjaajaa: enintään {waiting} päivää, sitten se poistetaan.",
        ),
        "sv": (
            "• Kontaktförfrågningar och frågor till en människa: {days} dag. En förfrågan som"
            " väntar på projektets första handledare: högst {waiting} dagar, sedan raderas den.",
            "• Kontaktförfrågningar och frågor till en människa: {days} dagar. En förfrågan som"
            " väntar på projektets första handledare: högst {waiting} dagar, sedan raderas den.",
        ),
        "en": (
            "• Contact requests and questions to a person: {days} day. A request waiting for"
            " the project's first coordinator: at most {waiting} days, then it is deleted.",
            "• Contact requests and questions to a person: {days} days. A request waiting for"
            " the project's first coordinator: at most {waiting} days, then it is deleted.",
        ),
    },
    "privacy.keep.open_items": {
        "count": "days",
        "fi": (
            "• Mitä ohjaajilta pyydettiin (juttelupyyntö, En pääse -viesti, yhteydenottopyyntö)"
            " ja onko siihen vastattu: {days} päivä.",
            "• Mitä ohjaajilta pyydettiin (juttelupyyntö, En pääse -viesti, yhteydenottopyyntö)"
            " ja onko siihen vastattu: {days} päivää.",
        ),
        "sv": (
            "• Vad handledarna ombads om (vill prata, kan inte komma, kontaktförfrågan) och om"
            " det har besvarats: {days} dag.",
            "• Vad handledarna ombads om (vill prata, kan inte komma, kontaktförfrågan) och om"
            " det har besvarats: {days} dagar.",
        ),
        "en": (
            "• What coordinators were asked (wants to talk, can't come, contact request) and"
            " whether it was answered: {days} day.",
            "• What coordinators were asked (wants to talk, can't come, contact request) and"
            " whether it was answered: {days} days.",
        ),
    },
    # --- item 2: answer from the bot -------------------------------------------------------
    "open.reply_button": {"fi": "Vastaa", "sv": "Svara", "en": "Reply"},
    "open.done_button": {
        "fi": "Merkitse hoidetuksi",
        "sv": "Markera som klar",
        "en": "Mark handled",
    },
    "cmd.open_items": {
        "fi": "asiat, jotka odottavat vastaustasi",
        "sv": "det som väntar på ditt svar",
        "en": "what is waiting for your answer",
    },
    "open.item_talk": {
        "fi": "<b>{name}</b> haluaa jutella ({project}, {since}). Tapaaminen: {detail}",
        "sv": "<b>{name}</b> vill prata ({project}, {since}). Mötet: {detail}",
        "en": "<b>{name}</b> would like to talk ({project}, {since}). Meeting: {detail}",
    },
    "open.item_cant_come": {
        "fi": "<b>{name}</b> ei pääse tapaamiseen ({project}, {since}). Tapaaminen: {detail}",
        "sv": "<b>{name}</b> kan inte komma ({project}, {since}). Mötet: {detail}",
        "en": "<b>{name}</b> cannot come ({project}, {since}). Meeting: {detail}",
    },
    "open.item_contact": {
        "fi": "<b>Yhteydenottopyyntö</b> ({project}, {since}), {name}: {detail}",
        "sv": "<b>Kontaktförfrågan</b> ({project}, {since}), {name}: {detail}",
        "en": "<b>Contact request</b> ({project}, {since}), {name}: {detail}",
    },
    "open.none": {
        "fi": "Mikään ei odota vastaustasi.",
        "sv": "Ingenting väntar på ditt svar.",
        "en": "Nothing is waiting for your answer.",
    },
    "open.header": {
        "fi": ("{count} asia odottaa vastaustasi:", "{count} asiaa odottaa vastaustasi:"),
        "sv": ("{count} sak väntar på ditt svar:", "{count} saker väntar på ditt svar:"),
        "en": (
            "{count} thing is waiting for your answer:",
            "{count} things are waiting for your answer:",
        ),
    },
    "open.already_handled": {
        "fi": "Tämä on jo hoidettu.",
        "sv": "Det här är redan klart.",
        "en": "This has been handled already.",
    },
    "open.marked_handled": {
        "fi": "Merkitty hoidetuksi.",
        "sv": "Markerat som klart.",
        "en": "Marked handled.",
    },
    "open.reply_prompt": {
        "count": "limit",
        "fi": (
            "Kirjoita vastaus: {name} saa sen tästä botista, ja nimesi näkyy sen lopussa."
            " Enintään {limit} merkki.\n<i>Lopeta: /peru</i>",
            "Kirjoita vastaus: {name} saa sen tästä botista, ja nimesi näkyy sen lopussa."
            " Enintään {limit} merkkiä.\n<i>Lopeta: /peru</i>",
        ),
        "sv": (
            "Skriv ditt svar: {name} får det i den här boten, med ditt namn i slutet."
            " Högst {limit} tecken.\n<i>Avbryt: /avbryt</i>",
            "Skriv ditt svar: {name} får det i den här boten, med ditt namn i slutet."
            " Högst {limit} tecken.\n<i>Avbryt: /avbryt</i>",
        ),
        "en": (
            "Write your reply: {name} gets it in this bot, with your name at the end."
            " At most {limit} character.\n<i>Stop: /cancel</i>",
            "Write your reply: {name} gets it in this bot, with your name at the end."
            " At most {limit} characters.\n<i>Stop: /cancel</i>",
        ),
    },
    "open.reply_expected": {
        "count": "limit",
        "fi": (
            "Kirjoita vastaus tekstinä (enintään {limit} merkki).",
            "Kirjoita vastaus tekstinä (enintään {limit} merkkiä).",
        ),
        "sv": (
            "Skriv svaret som text (högst {limit} tecken).",
            "Skriv svaret som text (högst {limit} tecken).",
        ),
        "en": (
            "Write the reply as text (at most {limit} character).",
            "Write the reply as text (at most {limit} characters).",
        ),
    },
    "open.reply_too_long": {
        "count": "limit",
        "fi": (
            "Vastaus on liian pitkä. Kirjoita enintään {limit} merkki.",
            "Vastaus on liian pitkä. Kirjoita enintään {limit} merkkiä.",
        ),
        "sv": (
            "Svaret är för långt. Skriv högst {limit} tecken.",
            "Svaret är för långt. Skriv högst {limit} tecken.",
        ),
        "en": (
            "The reply is too long. Write at most {limit} character.",
            "The reply is too long. Write at most {limit} characters.",
        ),
    },
    "open.reply_to_you": {
        "fi": "<b>Viesti ohjaajalta</b> ({project})\n{text}\n— {coordinator}",
        "sv": "<b>Meddelande från en handledare</b> ({project})\n{text}\n— {coordinator}",
        "en": "<b>Message from a coordinator</b> ({project})\n{text}\n— {coordinator}",
    },
    "open.reply_to_you_unsigned": {
        "fi": "<b>Viesti ohjaajalta</b> ({project})\n{text}",
        "sv": "<b>Meddelande från en handledare</b> ({project})\n{text}",
        "en": "<b>Message from a coordinator</b> ({project})\n{text}",
    },
    "open.reply_sent": {
        "fi": "Lähetetty: {name} saa vastauksesi. Merkitsin asian hoidetuksi.",
        "sv": "Skickat: {name} får ditt svar. Jag markerade saken som klar.",
        "en": "Sent: {name} gets your reply. I marked it handled.",
    },
    "open.weekly_reminder": {
        "fi": (
            "Muistutus: hankkeessa {project} {count} asia odottaa vastausta.",
            "Muistutus: hankkeessa {project} {count} asiaa odottaa vastausta.",
        ),
        "sv": (
            "Påminnelse: i projektet {project} väntar {count} sak på svar.",
            "Påminnelse: i projektet {project} väntar {count} saker på svar.",
        ),
        "en": (
            "Reminder: in {project}, {count} thing is waiting for an answer.",
            "Reminder: in {project}, {count} things are waiting for an answer.",
        ),
    },
    "open.weekly_reminder_general": {
        "fi": (
            "Muistutus: {count} yleinen kysymys odottaa vastausta.",
            "Muistutus: {count} yleistä kysymystä odottaa vastausta.",
        ),
        "sv": (
            "Påminnelse: {count} allmän fråga väntar på svar.",
            "Påminnelse: {count} allmänna frågor väntar på svar.",
        ),
        "en": (
            "Reminder: {count} general question is waiting for an answer.",
            "Reminder: {count} general questions are waiting for an answer.",
        ),
    },
    "open.show_button": {"fi": "Näytä ne", "sv": "Visa dem", "en": "Show them"},
    # --- item 1: feedback reaches the coordinator ----------------------------------------
    "participant.sign_prompt": {
        "fi": (
            "Saako ohjaaja nähdä nimesi kommentin kanssa? Jos et halua, kommentti näkyy"
            " ilman nimeä, kun tapaamisella on vähintään 3 arviota."
        ),
        "sv": (
            "Får handledaren se ditt namn med kommentaren? Om inte syns kommentaren utan"
            " namn när mötet har minst 3 bedömningar."
        ),
        "en": (
            "May the coordinator see your name with the comment? If not, the comment is"
            " shown without a name once the meeting has at least 3 ratings."
        ),
    },
    "participant.sign_yes": {
        "fi": "Kyllä, nimelläni",
        "sv": "Ja, med mitt namn",
        "en": "Yes, with my name",
    },
    "participant.sign_no": {"fi": "Ilman nimeä", "sv": "Utan namn", "en": "Without my name"},
    "report.feedback_button": {
        "fi": "Palaute tapaamisista",
        "sv": "Respons på mötena",
        "en": "Feedback on meetings",
    },
    "report.feedback_csv_button": {
        "fi": "Lataa palaute CSV-tiedostona",
        "sv": "Ladda ner responsen som CSV",
        "en": "Download the feedback as CSV",
    },
    "report.feedback_view": {
        "fi": "<b>Palaute tapaamisista: {project}</b>\n{lines}",
        "sv": "<b>Respons på mötena: {project}</b>\n{lines}",
        "en": "<b>Feedback on meetings: {project}</b>\n{lines}",
    },
    "report.feedback_none": {
        "fi": "Hankkeen {project} tapaamisia ei ole vielä arvioitu.",
        "sv": "Ingen har ännu bedömt mötena i projektet {project}.",
        "en": "Nobody has rated the meetings of {project} yet.",
    },
    "report.feedback_meeting": {
        "fi": (
            "\n<b>{title}</b> {when}: {count} arvio, keskiarvo {average}",
            "\n<b>{title}</b> {when}: {count} arviota, keskiarvo {average}",
        ),
        "sv": (
            "\n<b>{title}</b> {when}: {count} bedömning, medeltal {average}",
            "\n<b>{title}</b> {when}: {count} bedömningar, medeltal {average}",
        ),
        "en": (
            "\n<b>{title}</b> {when}: {count} rating, average {average}",
            "\n<b>{title}</b> {when}: {count} ratings, average {average}",
        ),
    },
    "report.feedback_comment": {"fi": "• ”{text}”", "sv": "• ”{text}”", "en": "• “{text}”"},
    "report.feedback_comment_signed": {
        "fi": "• ”{text}” – {name}",
        "sv": "• ”{text}” – {name}",
        "en": "• “{text}” – {name}",
    },
    "report.feedback_hidden": {
        "fi": (
            "• {count} kommentti ei näy: arvioita on alle 3, eikä kirjoittaja antanut nimeään.",
            "• {count} kommenttia ei näy: arvioita on alle 3, eivätkä kirjoittajat antaneet"
            " nimeään.",
        ),
        "sv": (
            "• {count} kommentar visas inte: färre än 3 bedömningar och skribenten gav inte"
            " sitt namn.",
            "• {count} kommentarer visas inte: färre än 3 bedömningar och skribenterna gav"
            " inte sina namn.",
        ),
        "en": (
            "• {count} comment is not shown: fewer than 3 ratings, and its writer did not"
            " give their name.",
            "• {count} comments are not shown: fewer than 3 ratings, and their writers did"
            " not give their names.",
        ),
    },
    "report.feedback_no_comments": {
        "fi": "\n<i>Kommentit näkyvät vain hankkeen omille ohjaajille.</i>",
        "sv": "\n<i>Kommentarerna visas bara för projektets egna handledare.</i>",
        "en": "\n<i>Comments are shown only to the project's own coordinators.</i>",
    },
    "report.feedback_trend_title": {
        "fi": "\n<b>Arviot kuukausittain</b> (tavoite {target} / 5)",
        "sv": "\n<b>Bedömningar per månad</b> (mål {target} / 5)",
        "en": "\n<b>Ratings by month</b> (target {target} / 5)",
    },
    "report.feedback_month": {
        "fi": (
            "{month}: {count} arvio, keskiarvo {average}",
            "{month}: {count} arviota, keskiarvo {average}",
        ),
        "sv": (
            "{month}: {count} bedömning, medeltal {average}",
            "{month}: {count} bedömningar, medeltal {average}",
        ),
        "en": (
            "{month}: {count} rating, average {average}",
            "{month}: {count} ratings, average {average}",
        ),
    },
    "report.feedback_csv_ready": {
        "fi": "Palaute tapaamisista, {project}: CSV-tiedosto.",
        "sv": "Respons på mötena, {project}: CSV-fil.",
        "en": "Feedback on meetings, {project}: CSV file.",
    },
    "file.feedback": {
        "fi": "palaute-{project}",
        "sv": "respons-{project}",
        "en": "feedback-{project}",
    },
    "csv.feedback.meeting": {"fi": "Tapaaminen", "sv": "Möte", "en": "Meeting"},
    "csv.feedback.start": {"fi": "Aika", "sv": "Tid", "en": "Time"},
    "csv.feedback.when": {"fi": "{when}", "sv": "{when}", "en": "{when}"},
    "csv.feedback.ratings": {"fi": "Arvioita", "sv": "Bedömningar", "en": "Ratings"},
    "csv.feedback.average": {"fi": "Keskiarvo", "sv": "Medeltal", "en": "Average"},
    "csv.feedback.comment": {"fi": "Kommentti", "sv": "Kommentar", "en": "Comment"},
    "csv.feedback.writer": {"fi": "Kirjoittaja", "sv": "Skribent", "en": "Writer"},
    # --- item 4: reports a coordinator can paste ----------------------------------------
    "csv.report.section": {"fi": "Osio", "sv": "Avsnitt", "en": "Section"},
    "csv.report.metric": {"fi": "Mittari", "sv": "Mätare", "en": "Measure"},
    "csv.report.value": {"fi": "Arvo", "sv": "Värde", "en": "Value"},
    "csv.report.target": {"fi": "Tavoite", "sv": "Mål", "en": "Target"},
    "report.chart_axis_count": {
        "fi": "Henkilöä tai tapaamista",
        "sv": "Personer eller möten",
        "en": "People or meetings",
    },
    "report.chart_axis_percent": {"fi": "Prosenttia", "sv": "Procent", "en": "Per cent"},
    "report.chart_axis_rating": {
        "fi": "Arvio asteikolla 1–5",
        "sv": "Bedömning på skalan 1–5",
        "en": "Rating on a scale of 1–5",
    },
    "report.chart_target": {
        "fi": "Tavoite {target}",
        "sv": "Mål {target}",
        "en": "Target {target}",
    },
    "report.xlsx_button": {
        "fi": "Lataa indikaattorit (XLSX)",
        "sv": "Ladda ner indikatorerna (XLSX)",
        "en": "Download the indicators (XLSX)",
    },
    "report.xlsx_ready": {
        "fi": "Indikaattoriraportti, {project}: XLSX-tiedosto.",
        "sv": "Indikatorrapport, {project}: XLSX-fil.",
        "en": "Indicator report, {project}: XLSX file.",
    },
    "xlsx.sheet_indicators": {
        "fi": "Tulosindikaattorit",
        "sv": "Resultatindikatorer",
        "en": "Result indicators",
    },
    "xlsx.sheet_report": {"fi": "Raportti", "sv": "Rapport", "en": "Report"},
    "xlsx.code": {"fi": "Koodi", "sv": "Kod", "en": "Code"},
    "xlsx.indicator": {"fi": "Indikaattori", "sv": "Indikator", "en": "Indicator"},
    "xlsx.participants": {"fi": "Osallistujia", "sv": "Deltagare", "en": "Participants"},
    "xlsx.indicator.EECR01": {
        "fi": "Työnhakijoiksi ryhtyneet osallistujat osallistumisen päättyessä",
        "sv": "Deltagare som söker arbete när de lämnar insatsen",
        "en": "Participants engaged in job searching upon leaving",
    },
    "xlsx.indicator.EECR02": {
        "fi": "Koulutukseen osallistuvat osallistujat osallistumisen päättyessä",
        "sv": "Deltagare i utbildning när de lämnar insatsen",
        "en": "Participants in education or training upon leaving",
    },
    "xlsx.indicator.EECR03": {
        "fi": "Tutkinnon tai pätevyyden saaneet osallistujat osallistumisen päättyessä",
        "sv": "Deltagare som uppnår en kvalifikation när de lämnar insatsen",
        "en": "Participants gaining a qualification upon leaving",
    },
    "xlsx.indicator.EECR04": {
        "fi": "Työllistyneet osallistujat, myös itsensä työllistäneet, osallistumisen päättyessä",
        "sv": "Deltagare i arbete, inklusive egenföretagare, när de lämnar insatsen",
        "en": "Participants in employment, including self-employment, upon leaving",
    },
    # --- item 5: small things --------------------------------------------------------
    "broadcast.audience_empty": {
        "fi": "Tässä joukossa ei ole ketään, joka saisi tiedotteen. Valitse toinen joukko.",
        "sv": "Ingen i den här gruppen skulle få meddelandet. Välj en annan grupp.",
        "en": "Nobody in this audience would get the announcement. Choose another one.",
    },
}
