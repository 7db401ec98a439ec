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

# Item 3: check a plan as the funder does (handlers/domain/plan_check.py).
ENTRIES.update(
    {
        "plan_check.title": {
            "fi": "<b>Osallistujat ja tavoitteet – tarkistus</b>",
            "sv": "<b>Deltagare och mål – kontroll</b>",
            "en": "<b>Participants and targets – a check</b>",
        },
        "plan_check.summary": {
            "fi": (
                "Osallistujia on {participants}. Tulostavoitteet: työnhakuun {job_search},"
                " koulutukseen {education}, ammattipätevyys {qualification}, työhön"
                " {employment}. Yhteensä {total} eli {share} osallistujista."
            ),
            "sv": (
                "Deltagarna är {participants}. Resultatmål: börjar söka arbete {job_search},"
                " till utbildning {education}, yrkeskompetens {qualification}, till arbete"
                " {employment}. Sammanlagt {total}, alltså {share} av deltagarna."
            ),
            "en": (
                "There are {participants} participants. Result targets: job searching"
                " {job_search}, education {education}, qualification {qualification},"
                " employment {employment}. In all {total}, that is {share} of the participants."
            ),
        },
        "plan_check.finding.target_group_unknown": {
            "fi": (
                "• Kerro, kuinka moni {participants} osallistujasta kuuluu kohderyhmään."
                " Rahoittaja katsoo, että tavoitteet on tehty juuri kohderyhmälle."
            ),
            "sv": (
                "• Berätta hur många av de {participants} deltagarna som hör till målgruppen."
                " Finansiären ser efter att målen gäller just målgruppen."
            ),
            "en": (
                "• Say how many of the {participants} participants belong to the target group."
                " The funder checks that the targets are made for the target group."
            ),
        },
        "plan_check.finding.target_group_minority": {
            "fi": (
                "• Osallistujia on {participants}, ja heistä kohderyhmään kuuluu {target_group}"
                " ({share}). Rahoittaja kysyy, miksi suurin osa on kohderyhmän ulkopuolelta."
                " Kerro, miten tavoitat kohderyhmän, tai korjaa luvut."
            ),
            "sv": (
                "• Deltagarna är {participants}, och av dem hör {target_group} till målgruppen"
                " ({share}). Finansiären frågar varför de flesta är utanför målgruppen."
                " Berätta hur ni når målgruppen, eller rätta siffrorna."
            ),
            "en": (
                "• There are {participants} participants, and {target_group} of them belong to"
                " the target group ({share}). The funder asks why most are outside the target"
                " group. Say how you reach the target group, or correct the figures."
            ),
        },
        "plan_check.finding.promise_above_target": {
            "fi": (
                "• Suunnitelma lupaa, että {percent} osallistujista {outcome}."
                " {participants} osallistujasta se on {promised}, mutta tulostavoite on {target}"
                " ({share}). Rahoittaja huomaa tämän: tee luvuista samat."
            ),
            "sv": (
                "• Planen lovar att {percent} av deltagarna {outcome}. Av {participants} deltagare"
                " är det {promised}, men resultatmålet är {target} ({share}). Finansiären ser"
                " det: gör siffrorna lika."
            ),
            "en": (
                "• The plan promises that {percent} of the participants {outcome}."
                " Of {participants} participants that is {promised}, but the result target is"
                " {target} ({share}). The funder notices this: make the figures match."
            ),
        },
        "plan_check.finding.outcomes_above_participants": {
            "fi": (
                "• Tulostavoitteita on yhteensä {target}, enemmän kuin osallistujia"
                " ({participants}). Sama ihminen voi olla kahdessa tavoitteessa, mutta tarkista"
                " luvut."
            ),
            "sv": (
                "• Resultatmålen är sammanlagt {target}, fler än deltagarna ({participants})."
                " Samma person kan finnas i två mål, men kontrollera siffrorna."
            ),
            "en": (
                "• The result targets add up to {target}, more than the participants"
                " ({participants}). One person can be in two targets, but check the figures."
            ),
        },
        "plan_check.outcome.employment": {
            "fi": "on työssä",
            "sv": "är i arbete",
            "en": "are in work",
        },
        "plan_check.outcome.education": {
            "fi": "on koulutuksessa",
            "sv": "är i utbildning",
            "en": "are in education",
        },
        "plan_check.ok": {
            "fi": "Luvut sopivat yhteen.",
            "sv": "Siffrorna stämmer överens.",
            "en": "The figures fit together.",
        },
        "plan_check.note": {
            "fi": (
                "<i>Tarkistan vain luvut. Rahoittaja arvioi myös, miten tavoitteisiin päästään.</i>"
            ),
            "sv": (
                "<i>Jag kontrollerar bara siffrorna. Finansiären bedömer också hur målen nås.</i>"
            ),
            "en": (
                "<i>I check only the figures. The funder also judges how the targets are met.</i>"
            ),
        },
    }
)

ENTRIES.update(
    {
        "menu.plan_check": {
            "fi": "Tarkista osallistujat ja tavoitteet",
            "sv": "Kontrollera deltagare och mål",
            "en": "Check participants and targets",
        },
        "plan_check.intro": {
            "fi": (
                "Katsotaan hankkeen luvut niin kuin rahoittaja ne katsoo. Kysyn kahdeksan"
                " lukua. Ne ovat vain tässä keskustelussa."
            ),
            "sv": (
                "Vi ser på projektets siffror så som finansiären ser på dem. Jag frågar åtta"
                " tal. De finns bara i det här samtalet."
            ),
            "en": (
                "Let us look at the project's figures the way the funder does. I ask eight"
                " numbers. They stay only in this conversation."
            ),
        },
        "plan_check.ask.participants": {
            "fi": "Montako osallistujaa hankkeeseen tulee? Kirjoita luku, esim. 60.",
            "sv": "Hur många deltagare får projektet? Skriv ett tal, t.ex. 60.",
            "en": "How many participants will the project have? Type a number, e.g. 60.",
        },
        "plan_check.ask.target_group": {
            "fi": (
                "Montako heistä kuuluu kohderyhmään (esim. työttömät)? Kirjoita luku"
                " 0–{participants}, tai - jos et tiedä."
            ),
            "sv": (
                "Hur många av dem hör till målgruppen (t.ex. arbetslösa)? Skriv ett tal"
                " 0–{participants}, eller - om du inte vet."
            ),
            "en": (
                "How many of them belong to the target group (e.g. unemployed people)? Type a"
                " number 0–{participants}, or - if you do not know."
            ),
        },
        "plan_check.ask.job_search": {
            "fi": "Tulostavoite: montako ryhtyy työnhakuun? Kirjoita luku 0–{participants}.",
            "sv": "Resultatmål: hur många börjar söka arbete? Skriv ett tal 0–{participants}.",
            "en": "Result target: how many start job searching? Type a number 0–{participants}.",
        },
        "plan_check.ask.education": {
            "fi": "Montako sijoittuu koulutukseen? Kirjoita luku 0–{participants}.",
            "sv": "Hur många går vidare till utbildning? Skriv ett tal 0–{participants}.",
            "en": "How many go on to education? Type a number 0–{participants}.",
        },
        "plan_check.ask.qualification": {
            "fi": "Montako saa ammattipätevyyden? Kirjoita luku 0–{participants}.",
            "sv": "Hur många får en yrkeskompetens? Skriv ett tal 0–{participants}.",
            "en": "How many gain a qualification? Type a number 0–{participants}.",
        },
        "plan_check.ask.employment": {
            "fi": "Montako sijoittuu työelämään? Kirjoita luku 0–{participants}.",
            "sv": "Hur många kommer i arbete? Skriv ett tal 0–{participants}.",
            "en": "How many get into work? Type a number 0–{participants}.",
        },
        "plan_check.ask.promised_employment_percent": {
            "fi": (
                "Lupaako suunnitelma, että tietty osuus on lopuksi työssä? Kirjoita"
                " prosentti, esim. 25 %, tai - jos ei lupaa."
            ),
            "sv": (
                "Lovar planen att en viss andel är i arbete till slut? Skriv procenten,"
                " t.ex. 25 %, eller - om den inte lovar det."
            ),
            "en": (
                "Does the plan promise that a share is in work at the end? Type the"
                " percentage, e.g. 25 %, or - if it does not."
            ),
        },
        "plan_check.ask.promised_education_percent": {
            "fi": (
                "Entä koulutuksessa? Kirjoita prosentti, esim. 12 %, tai - jos suunnitelma ei"
                " lupaa."
            ),
            "sv": (
                "Och i utbildning? Skriv procenten, t.ex. 12 %, eller - om planen inte lovar det."
            ),
            "en": "And in education? Type the percentage, e.g. 12 %, or - if the plan does not.",
        },
        "plan_check.error.participants": {
            "fi": "Kirjoita osallistujien määrä numeroina, 1–{maximum}.",
            "sv": "Skriv antalet deltagare med siffror, 1–{maximum}.",
            "en": "Type the number of participants in digits, 1–{maximum}.",
        },
        "plan_check.error.count": {
            "fi": "Kirjoita luku numeroina, 0–{maximum} (ei enempää kuin osallistujia).",
            "sv": "Skriv ett tal med siffror, 0–{maximum} (inte fler än deltagarna).",
            "en": "Type a number in digits, 0–{maximum} (no more than the participants).",
        },
        "plan_check.error.percent": {
            "fi": "Kirjoita prosentti 0–100, esim. 25 %, tai - jos lupausta ei ole.",
            "sv": "Skriv en procent 0–100, t.ex. 25 %, eller - om det inte finns något löfte.",
            "en": "Type a percentage 0–100, e.g. 25 %, or - if there is no promise.",
        },
        "plan_check.result": {
            "fi": "{lines}",
            "sv": "{lines}",
            "en": "{lines}",
        },
    }
)
