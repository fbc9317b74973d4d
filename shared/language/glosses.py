"""English glosses of the words a customer mixes in from another language.

"Die Tasse ist broken angekommen, bitte eine neue schicken", "Yaar the bottle toot gaya,
refund chahiye", "Dumating yung cake pero sira na": the models were trained on English, so
the words of an order's problem and of a remedy in Spanish, Portuguese, French, German,
Italian, romanized Hindi and Tagalog are glossed in English beside the text, which keeps its
own words. A general table of those words (a dictionary, not phrasings of any corpus): the
models see it through `features_text`, the rules never do.
"""

from __future__ import annotations

import re

# (pattern over lower-case text, the English words it means)
_GLOSSES: tuple[tuple[str, str], ...] = (
    # broken, damaged
    (
        r"rot[oa]s?|dañad[oa]s?|quebrad[oa]s?|trincad[oa]s?|amassad[oa]s?|cass[ée]e?s?|fissur[ée]e?s?"
        r"|ab[iî]m[ée]e?s?|kaputt|zerbrochen|besch[äa]digt|abgebrochen|gebrochen|rott[oa]|danneggiat[oa]"
        r"|toot gaya|toota|tooti|phat gay[ia]|sira|sirang|basag|durog|yupi",
        "broken damaged",
    ),
    # not working
    (
        r"no funciona|no enciende|no prende|n[ãa]o funciona|n[ãa]o liga|ne marche pas|ne fonctionne pas"
        r"|ne s'allume (?:plus|pas)|ne charge pas|funktioniert nicht|geht nicht|l[äa]dt nicht|non funziona"
        r"|non si accende|kaam nahi|chal nahi|chalta nahi|nahi ho rah[ae]|kharab|hindi gumagana|ayaw gumana"
        r"|ayaw mag-?on|hindi nag-?o-?on|sira na",
        "not working faulty",
    ),
    # missing
    (
        r"falta|faltan|faltaba|faltando|faltou|manque|manquant|manquante|fehlt|fehlen|fehlend|manca|mancano"
        r"|wala sa box|walang kasama|kulang|nahi tha box",
        "missing part",
    ),
    # never arrived
    (
        r"nunca lleg[óo]|no lleg[óo]|no ha llegado|nunca recib[íi]|nunca chegou|n[ãa]o chegou|nunca recebi"
        r"|jamais re[çc]u|pas re[çc]u|jamais arriv[ée]|nie angekommen|nicht angekommen|nie erhalten"
        r"|mai arrivat[oa]|non [èe] arrivat[oa]|nahi aaya|nahi mila|mila hi nahi|hindi dumating|di dumating",
        "never arrived not received",
    ),
    # late
    (
        r"tarde|retraso|atrasad[oa]|atraso|en retard|retard|zu sp[äa]t|versp[äa]tet|in ritardo|der se aaya"
        r"|late aaya|natagalan",
        "late delayed",
    ),
    # wrong
    (
        r"equivocad[oa]|incorrect[oa]|errad[oa]|mauvaise?|falsche?[nrs]?|sbagliat[oa]|galat|mali",
        "wrong",
    ),
    # the money back
    (
        r"reembolso|reembolsar|devolu[cç][ãa]o do dinheiro|dinero de vuelta|dinheiro de volta|mi dinero"
        r"|meu dinheiro|rembourse\w*|r[üu]ckerstattung|geld zur[üu]ck|rimborso|paisa wapas|paise wapas"
        r"|paisa lauta|ibalik ang pera",
        "refund money back",
    ),
    # another one sent, an exchange
    (
        r"reemplazo|otro nuevo|m[áa]nd[ae]me otr[oa]s?|env[íi]en otr[oa]|troca|trocar|[ée]changer?"
        r"|remplacement|remplacer|ersatz|umtausch|eine neue|neu senden|sostituzione|naya bhej|doosra bhej"
        r"|badal do|palitan|bagong padala",
        "replacement send new",
    ),
    # store credit
    (
        r"cr[ée]dito na loja|cr[ée]dito en la tienda|vale|cup[óo]n|un avoir|bon d'achat|gutschein|gutschrift"
        r"|buono",
        "store credit voucher",
    ),
    # part of the money
    (r"descuento|desconto|r[ée]duction|remise|rabatt|sconto|geste commercial", "discount partial"),
    # charged twice, charged
    (
        r"cobraron dos veces|cobro doble|cobrado dos veces|cobraram duas vezes|d[ée]bit[ée] deux fois"
        r"|doppelt abgebucht|addebitato due volte|do baar|dalawang beses",
        "charged twice",
    ),
    (
        r"cobraron|cobraram|cobran[çc]a|d[ée]bit[ée]|abgebucht|addebitat[oa]|kat gaya|kata",
        "charged",
    ),
)
_TABLE = tuple((re.compile(rf"(?<!\w)(?:{pattern})(?!\w)"), words) for pattern, words in _GLOSSES)


def with_glosses(text: str) -> str:
    """The text, then the English of the other languages' words it uses (lower case)."""
    found = [words for pattern, words in _TABLE if pattern.search(text)]
    return f"{text} {' '.join(found)}" if found else text
