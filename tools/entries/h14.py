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
}
