"""A cheap, offline guess of a transcript's language, for transcripts that declare none.

Why a heuristic and no library: the guess only decides whether a coder is offered a machine
translation, and the lead can always correct it (``workbench language --set``). The script
decides most languages outright (kana is Japanese, Hangul Korean, Arabic script Arabic...);
Latin and Cyrillic texts are told apart by their commonest short words. That covers the
languages the workbench already knows interviewer words for, in a page of code and no model
files. It says ``None`` rather than guess when the evidence is thin.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The commonest function words of each language, chosen to overlap little with the others.
STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are was were that this with have has for not you what it of to in "
        "they be do does my i we our but would will"
    ),
    "es": _words(
        "el la los las que de y en es un una por para con no lo se su pero muy como "
        "está son yo mi también hay"
    ),
    "de": _words(
        "der die das und ist nicht ich es ein eine zu mit auf den dem sie wir auch sich "
        "aber wie bei oder mein noch"
    ),
    "fr": _words(
        "le la les et est que des une un pour pas je il elle dans du avec ce qui sur mais "
        "nous vous mon au très"
    ),
    "pt": _words(
        "o a os as que de e em é um uma para com não do da se mas muito como eu meu também são está"
    ),
    "it": _words(
        "il lo la gli le che di e è un una per con non del della si ma molto come io mio "
        "anche sono questo"
    ),
    "nl": _words(
        "de het een en is dat niet ik je van op te met zijn voor maar ook wat er hij we mijn heb"
    ),
    "ru": _words("и в не что на я с он как это по но они мы вы у так же мне было все"),
    "uk": _words("і в не що на я з він як це по але вони ми ви у так же мені було все"),
}

# Scripts that name their language alone (the first letter class found decides).
_SCRIPTS: tuple[tuple[str, str], ...] = (
    ("HIRAGANA", "ja"),
    ("KATAKANA", "ja"),
    ("HANGUL", "ko"),
    ("ARABIC", "ar"),
    ("HEBREW", "he"),
    ("GREEK", "el"),
    ("DEVANAGARI", "hi"),
    ("THAI", "th"),
    ("CJK", "zh"),  # Han without kana: Chinese
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_WORDS = 8  # fewer words than this are too little to tell Latin languages apart


def _script_counts(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for ch in text[:20_000]:
        if not ch.isalpha():
            continue
        if ch < "\u0250":  # Basic Latin to Latin Extended-B: no name lookup needed
            counts["latin"] += 1
            continue
        name = unicodedata.name(ch, "")
        for prefix, language in _SCRIPTS:
            if name.startswith(prefix):
                counts[language] += 1
                break
        else:
            if name.startswith("CYRILLIC"):
                counts["cyrillic"] += 1
            else:
                counts["latin"] += 1
    return counts


def guess_language(text: str) -> str | None:
    """The BCP 47 primary tag the text is most likely in (``"de"``), or None when unsure."""
    scripts = _script_counts(text)
    total = sum(scripts.values())
    if total == 0:
        return None
    if scripts["ja"] and scripts["ja"] >= total * 0.05:  # kana among Han: Japanese
        return "ja"
    top, count = scripts.most_common(1)[0]
    if top not in ("latin", "cyrillic"):
        return top if count >= total * 0.3 else None
    candidates = ("ru", "uk") if top == "cyrillic" else ("en", "es", "de", "fr", "pt", "it", "nl")
    words = [w.casefold() for w in _WORD.findall(text[:20_000])]
    if len(words) < MIN_WORDS:
        return None
    scores = {lang: sum(1 for w in words if w in STOPWORDS[lang]) for lang in candidates}
    if top == "cyrillic" and any(ch in text for ch in "іїєґІЇЄҐ"):
        scores["uk"] += len(words)  # letters Russian does not have
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    # At least 5% of the words must be the language's own, clearly ahead of the next language.
    if best_score < max(2, len(words) * 0.05) or best_score < runner_up * 1.25:
        return None
    return best


# ISO 639-1, and the withdrawn codes old data still carries (iw, in, ji, sh, mo): a two-letter
# language must be one of these. Three-letter (ISO 639-2/3) codes are too many to list here.
_ISO_639_1_CODES = """
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu
cv cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi
ho hr ht hu hy hz ia id ie ig ii ik in io is it iu iw ja ji jv ka kg ki kj kk kl km kn
ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mo mr ms mt my na nb
nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se
sg sh si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty
ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
"""
ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
# BCP 47 after the language: script (Latn), region (BR, 419), variants (1901, valencia).
_SUBTAG = r"(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*"


def normalise_language(value: str) -> str:
    """A language tag as stored: trimmed, lower-case primary subtag first (``pt-BR`` kept).

    Checked against BCP 47's form and, for two letters, ISO 639-1: a made-up tag stored as a
    transcript's language would split agreement by language and pick translations for a
    language nobody speaks."""
    value = value.strip().replace("_", "-")
    match = re.fullmatch(r"([A-Za-z]{2,3})" + _SUBTAG, value)
    if not match or (len(match.group(1)) == 2 and match.group(1).lower() not in ISO_639_1):
        raise ValueError(f"'{value}' is not a language tag such as en, de or pt-BR")
    head, *rest = value.split("-")
    return "-".join([head.lower(), *rest])


def primary(tag: str) -> str:
    """The language without region or script (``pt-BR`` -> ``pt``), for comparing languages."""
    return tag.split("-")[0].lower()
