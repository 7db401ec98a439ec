"""Catalog entries of branch hops (issue 16, Operations: heavy optional parts as extras)."""

ENTRIES = {
    "report.chart_off": {
        "fi": (
            "Kaaviota en voi tehdä, koska kaavio-osaa ei ole asennettu tähän bottiin."
            " Luvut ovat yllä, ja saat ne myös tiedostona."
            " Kerro botin ylläpitäjälle: kaaviot saa käyttöön asentamalla hankebot[charts]."
        ),
        "sv": (
            "Jag kan inte göra diagrammet, eftersom diagramdelen inte är installerad i den"
            " här boten. Siffrorna finns ovan, och du får dem också som fil."
            " Säg till botens administratör: diagrammen kommer med hankebot[charts]."
        ),
        "en": (
            "I can't make the chart, because the chart part is not installed in this bot."
            " The figures are above, and you can get them as a file too."
            " Tell the bot's administrator: charts come with hankebot[charts]."
        ),
    },
}
