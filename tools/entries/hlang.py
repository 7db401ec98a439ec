"""Catalog entries of branch hlang (issues 13 items 2 and 4, 14 item 1)."""

ENTRIES = {
    "faq.small_talk.capabilities": {
        "fi": (
            "Autan ESR+-hankkeissa: kuka voi hakea, budjetti ja rahoitus, miten pääset "
            "mukaan hankkeeseen ja tapaamiset. Kysy omin sanoin tai valitse alta."
        ),
        "sv": (
            "Jag hjälper med ESF+-projekt: vem kan söka, budget och finansiering, hur du kommer "
            "med i ett projekt och möten. Fråga med egna ord eller välj nedan."
        ),
        "en": (
            "I help with ESF+ projects: who can apply, budget and funding, how to join a "
            "project, and meetings. Ask in your own words or choose below."
        ),
    },
    "faq.unknown": {
        "fi": "En tiedä tähän varmaa vastausta – voit kysyä ihmiseltä tai valita alta.",
        "sv": "Jag vet inget säkert svar på det – du kan fråga en människa eller välja nedan.",
        "en": "I don't know a sure answer to that – you can ask a person or choose below.",
    },
    "join.error.no_project_there": {
        "fi": (
            "En löytänyt hanketta siitä kunnasta. Tämän botin hankkeet toimivat näissä "
            "kunnissa: {places}. Voit katsoa kaikki hankkeet, kirjoittaa toisen kunnan nimen "
            "tai kysyä hankkeista oman kuntasi työllisyyspalveluista."
        ),
        "sv": (
            "Jag hittade inget projekt i den kommunen. Botens projekt finns i de här "
            "kommunerna: {places}. Du kan se alla projekt, skriva namnet på en annan kommun "
            "eller fråga din kommuns sysselsättningstjänster om projekt."
        ),
        "en": (
            "I found no project in that municipality. This bot's projects work in these "
            "municipalities: {places}. You can see all projects, type another municipality, "
            "or ask your municipality's employment services about projects."
        ),
    },
}
