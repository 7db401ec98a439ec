"""Catalog entries of branch h14 (issue 14 items 2-4); applied with tools/catalog.py."""

ENTRIES = {
    "budget.calc.monthly_about": {
        "fi": "{pay}/kk × 12 / {hours_year} h ≈ {hourly}/h",
        "sv": "{pay}/mån × 12 / {hours_year} h ≈ {hourly}/h",
        "en": "{pay}/month × 12 / {hours_year} h ≈ {hourly}/h",
    },
    "budget.calc.side_about": {
        "fi": "+ sivukulut {side} ≈ {rate}/h",
        "sv": "+ bikostnader {side} ≈ {rate}/h",
        "en": "+ side costs {side} ≈ {rate}/h",
    },
    "budget.calc.cost_monthly": {
        "count": "months",
        "fi": (
            "{pay}/kk × {months} kk × {percent} × (100 % + {side}) = <b>{cost}</b>",
            "{pay}/kk × {months} kk × {percent} × (100 % + {side}) = <b>{cost}</b>",
        ),
        "sv": (
            "{pay}/mån × {months} mån × {percent} × (100 % + {side}) = <b>{cost}</b>",
            "{pay}/mån × {months} mån × {percent} × (100 % + {side}) = <b>{cost}</b>",
        ),
        "en": (
            "{pay}/month × {months} month × {percent} × (100 % + {side}) = <b>{cost}</b>",
            "{pay}/month × {months} months × {percent} × (100 % + {side}) = <b>{cost}</b>",
        ),
    },
    "budget.exact_note": {
        "fi": (
            "<i>Lasken tarkalla tuntihinnalla. Kuukausipalkan tuntihinta (≈) on pyöristetty vain"
            " näytettäväksi; summa on palkka × kuukaudet × työaika × sivukulut. Rahoittajan"
            " lomakkeen pyöristystapaa en ole voinut varmistaa: tarkista se hakukuulutuksesta.</i>"
        ),
        "sv": (
            "<i>Jag räknar med det exakta timpriset. Månadslönens timpris (≈) är avrundat bara"
            " för visning; summan är lön × månader × arbetstid × bikostnader. Hur"
            " finansiärens blankett avrundar har jag inte kunnat bekräfta: kontrollera det i"
            " ansökningsannonsen.</i>"
        ),
        "en": (
            "<i>I compute with the exact hourly rate. A monthly pay's hourly rate (≈) is rounded"
            " only for showing; the sum is pay × months × working time × side costs. How the"
            " funder's form rounds I could not confirm: check it in the call notice.</i>"
        ),
    },
    "cli.budget.row_cents": {
        "fi": (
            "Rahoitussuunnitelman rivit ovat täysiä euroja. Kuntien vuosittaiset summat"
            ' sentteineen annetaan näin: --municipal-amounts "Juva=3 333,35; Mikkeli=?".'
        ),
        "sv": (
            "Raderna i finansieringsplanen är hela euro. Kommunernas årliga belopp med cent"
            ' anges så här: --municipal-amounts "Juva=3 333,35; Mikkeli=?".'
        ),
        "en": (
            "The rows of the financing plan are whole euros. Give the municipalities' yearly"
            ' amounts with cents like this: --municipal-amounts "Juva=3 333,35; Mikkeli=?".'
        ),
    },
    "cli.budget.staff_line_title": {
        "fi": (
            'Palkkarivi alkaa tehtävänimikkeellä, esim. "Projektipäällikkö;monthly=3300;months=24".'
        ),
        "sv": 'En lönerad börjar med befattningen, t.ex. "Projektchef;monthly=3300;months=24".',
        "en": (
            'A staff line starts with the job title, e.g. "Project manager;monthly=3300;months=24".'
        ),
    },
    "cli.budget.staff_line_field": {
        "fi": "Palkkarivillä on tuntematon kohta {field}. Käyvät kohdat: {fields}.",
        "sv": "Löneraden har en okänd del {field}. Giltiga delar: {fields}.",
        "en": "The staff line has an unknown part {field}. Valid parts: {fields}.",
    },
    "cli.budget.staff_line_twice": {
        "fi": "Kohta {field} on palkkarivillä kahdesti. Kerro se kerran.",
        "sv": "Delen {field} finns två gånger på löneraden. Ange den en gång.",
        "en": "The part {field} is on the staff line twice. Give it once.",
    },
    "cli.budget.municipal_amounts": {
        "fi": (
            "Kerro kunkin kunnan summa vuodessa muodossa KUNTA=SUMMA puolipisteillä"
            ' erotettuina, esim. "Juva=3 333,35; Mikkeli=?" (? = summaa ei ole kerrottu).'
        ),
        "sv": (
            "Ange varje kommuns belopp per år som KOMMUN=BELOPP åtskilda med semikolon,"
            ' t.ex. "Juva=3 333,35; Mikkeli=?" (? = beloppet är inte angivet).'
        ),
        "en": (
            "Give each municipality's amount a year as MUNICIPALITY=AMOUNT separated by"
            ' semicolons, e.g. "Juva=3 333,35; Mikkeli=?" (? = the amount is not stated).'
        ),
    },
    "cli.budget.split_or_amounts": {
        "fi": "Anna joko --split-municipal tai --municipal-amounts, ei molempia.",
        "sv": "Ange antingen --split-municipal eller --municipal-amounts, inte båda.",
        "en": "Give either --split-municipal or --municipal-amounts, not both.",
    },
}
