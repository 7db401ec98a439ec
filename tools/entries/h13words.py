"""Catalog entries of branch h13words: amounts with a unit, words for zero, keeping a budget
line's old values, asking before /peru throws a budget away, option texts typed at a button
step (issue 13 items 2, 3 and 5)."""

ENTRIES = {
    "money.error.wrong_unit_hour": {
        "fi": "Tässä kysytään tuntipalkkaa. Kirjoita euroina tunnissa, esim. 18,50 €/h.",
        "sv": "Här frågas timlönen. Skriv den i euro per timme, t.ex. 18,50 €/h.",
        "en": "This asks for the hourly pay. Type it in euros per hour, e.g. 18.50 €/h.",
    },
    "money.error.wrong_unit_month": {
        "fi": "Tässä kysytään kuukausipalkkaa. Kirjoita euroina kuussa, esim. 3 300 €/kk.",
        "sv": "Här frågas månadslönen. Skriv den i euro per månad, t.ex. 3 300 €/mån.",
        "en": "This asks for the monthly pay. Type it in euros per month, e.g. 3 300 €/month.",
    },
    "money.error.wrong_unit_total": {
        "fi": "Tässä kysytään koko summaa euroina, ilman /h tai /kk. Esim. 154 727.",
        "sv": "Här frågas hela summan i euro, utan /h eller /mån. T.ex. 154 727.",
        "en": "This asks for the whole sum in euros, without /h or /month. E.g. 154 727.",
    },
    "money.error.format_hour": {
        "fi": "En ymmärtänyt tuntipalkkaa. Kirjoita esim. 18,50 tai 18,50 €/h.",
        "sv": "Jag förstod inte timlönen. Skriv t.ex. 18,50 eller 18,50 €/h.",
        "en": "I didn't understand the hourly pay. Type e.g. 18.50 or 18.50 €/h.",
    },
    "money.error.format_month": {
        "fi": "En ymmärtänyt kuukausipalkkaa. Kirjoita esim. 3 300 tai 3 300 €/kk.",
        "sv": "Jag förstod inte månadslönen. Skriv t.ex. 3 300 eller 3 300 €/mån.",
        "en": "I didn't understand the monthly pay. Type e.g. 3 300 or 3 300 €/month.",
    },
}
ENTRIES.update(
    {
        "budget.line_edit": {
            "fi": (
                "Muokataan riviä {number} ({title})."
                " Näet joka kohdassa vanhan tiedon ja voit pitää sen."
            ),
            "sv": (
                "Rad {number} ({title}) ändras."
                " Vid varje punkt ser du det gamla värdet och kan behålla det."
            ),
            "en": (
                "Editing line {number} ({title})."
                " At each step you see the old value and can keep it."
            ),
        },
        "budget.line_old": {
            "fi": "Nyt: {value}. Jos se ei muutu, paina Pidä ennallaan tai kirjoita sama.",
            "sv": "Nu: {value}. Om det inte ändras, tryck Behåll eller skriv samma.",
            "en": "Now: {value}. If it stays the same, press Keep or type same.",
        },
        "budget.keep": {
            "fi": "Pidä ennallaan",
            "sv": "Behåll",
            "en": "Keep",
        },
    }
)
ENTRIES.update(
    {
        "cancel.confirm_budget": {
            "fi": (
                "Lopetetaanko budjetti? Se säilyy 7 päivää, ja voit jatkaa sitä valikosta"
                " (Laske hankkeen budjetti)."
            ),
            "sv": (
                "Ska budgeten avslutas? Den sparas i 7 dagar, och du kan fortsätta den från"
                " menyn (Räkna projektets budget)."
            ),
            "en": (
                "Stop the budget? It is kept for 7 days, and you can go on with it from the"
                " menu (Work out a project budget)."
            ),
        },
        "cancel.really": {
            "fi": "Kyllä, lopeta",
            "sv": "Ja, avsluta",
            "en": "Yes, stop",
        },
        "cancel.keep_going": {
            "fi": "Ei, jatketaan",
            "sv": "Nej, vi fortsätter",
            "en": "No, let's go on",
        },
    }
)
ENTRIES.update(
    {
        "meetings.title_letters": {
            "fi": "Nimessä pitää olla kirjaimia, esim. Ryhmätapaaminen.",
            "sv": "Namnet måste ha bokstäver, t.ex. Gruppträff.",
            "en": "The name needs letters, e.g. Group meeting.",
        },
    }
)
ENTRIES.update(
    {
        "budget.draft_kept": {
            "fi": "Budjettisi säilyy 7 päivää. Jatka sitä valikosta: Laske hankkeen budjetti.",
            "sv": (
                "Din budget sparas i 7 dagar. Fortsätt den från menyn: Räkna projektets budget."
            ),
            "en": (
                "Your budget is kept for 7 days."
                " Go on with it from the menu: Work out a project budget."
            ),
        },
        "budget.draft_offer": {
            "fi": "Sinulla on kesken jäänyt budjetti ({saved}). Jatketaanko siitä?",
            "sv": "Du har en budget på hälft ({saved}). Ska vi fortsätta med den?",
            "en": "You have an unfinished budget ({saved}). Shall we go on with it?",
        },
        "budget.draft_continue": {
            "fi": "Jatka budjettia",
            "sv": "Fortsätt budgeten",
            "en": "Continue the budget",
        },
        "budget.draft_new": {
            "fi": "Aloita alusta",
            "sv": "Börja om",
            "en": "Start over",
        },
    }
)
ENTRIES.update(
    {
        "privacy.keep.budget_drafts": {
            "count": "days",
            "fi": (
                "• Budjetti, jonka lopetit komennolla /peru: {days} päivä.",
                "• Budjetti, jonka lopetit komennolla /peru: {days} päivää.",
            ),
            "sv": (
                "• En budget som du avslutade med /avbryt: {days} dag.",
                "• En budget som du avslutade med /avbryt: {days} dagar.",
            ),
            "en": (
                "• A budget you stopped with /cancel: {days} day.",
                "• A budget you stopped with /cancel: {days} days.",
            ),
        },
        "mydata.line_budget_draft": {
            "fi": "• Budjetti, jonka lopetit kesken. Se poistuu 7 päivän kuluttua.",
            "sv": "• En budget som du avslutade halvvägs. Den raderas efter 7 dagar.",
            "en": "• A budget you stopped halfway. It is deleted after 7 days.",
        },
    }
)
