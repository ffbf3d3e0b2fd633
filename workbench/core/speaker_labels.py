"""What a speaker label means: the interviewer, whose turns are context, or a participant.

Real transcripts spell the same role many ways: ``Interviewer1 :``, ``INTERVIEWER 2:``, ``Int.``,
``Interviewer (Kim):``, ``Entrevistadora:``, ``Интервьюер:``. Matching the raw label against a
list missed most of them, and every missed interviewer turn was offered for coding. So a label is
first reduced to its role word by ``normalize_label`` (one function, used at import and by the
``speakers`` command alike), and only then looked up in the per-language tables below. The
tables go through the same function, so they can be written the way people write the words.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from functools import lru_cache


class Role(StrEnum):
    """Who a speaker is: interviewer turns are context, participant turns are coded."""

    INTERVIEWER = "interviewer"
    PARTICIPANT = "participant"


# Interviewer words per language, each with what it means. Single letters are the usual
# abbreviations of interview transcripts (I: interviewer, Q: question).
INTERVIEWER_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "interviewer": "interviewer",
        "int": "abbreviation of interviewer (also written Int. or INT)",
        "intv": "abbreviation of interviewer",
        "iv": "abbreviation of interviewer, in IV:/IE: and German IV:/B: transcripts",
        "i": "interviewer, in I:/R: transcripts",
        "q": "question, in Q:/A: transcripts",
        "question": "question",
        "moderator": "moderator of a focus group",
        "facilitator": "facilitator of a group interview",
        "researcher": "researcher",
        "ai": "an AI interviewer (the published AI-interviewer datasets)",
        "assistant": "an AI interviewer (the published AI-interviewer datasets)",
    },
    "es": {
        "entrevistador": "interviewer (masculine)",
        "entrevistadora": "interviewer (feminine)",
        "entrevistador/a": "interviewer (either gender)",
        "moderador": "moderator (masculine)",
        "moderadora": "moderator (feminine)",
        "investigador": "researcher (masculine)",
        "investigadora": "researcher (feminine)",
    },
    "de": {
        "interviewerin": "interviewer (feminine)",
        "interviewende": "the person interviewing",
        "befrager": "questioner (masculine)",
        "befragerin": "questioner (feminine)",
        "fragesteller": "questioner (masculine)",
        "fragestellerin": "questioner (feminine)",
        "moderatorin": "moderator (feminine)",
        "forscher": "researcher (masculine)",
        "forscherin": "researcher (feminine)",
    },
    "fr": {
        "intervieweur": "interviewer (masculine)",
        "intervieweuse": "interviewer (feminine)",
        "enquêteur": "interviewer, survey investigator (masculine)",
        "enquêtrice": "interviewer, survey investigator (feminine)",
        "animateur": "moderator of a group (masculine)",
        "animatrice": "moderator of a group (feminine)",
        "chercheur": "researcher (masculine)",
        "chercheuse": "researcher (feminine)",
    },
    "pt": {
        "entrevistador": "interviewer (masculine)",
        "entrevistadora": "interviewer (feminine)",
        "pesquisador": "researcher (masculine, Brazil)",
        "pesquisadora": "researcher (feminine, Brazil)",
        "investigador": "researcher (masculine, Portugal)",
        "moderador": "moderator",
    },
    "it": {
        "intervistatore": "interviewer (masculine)",
        "intervistatrice": "interviewer (feminine)",
    },
    "ru": {
        "интервьюер": "interviewer",
        "ведущий": "host, moderator of a focus group",
        "модератор": "moderator",
        "исследователь": "researcher",
        "вопрос": "question",
        "в": "question (вопрос), in В:/О: transcripts",
        "и": "interviewer (интервьюер), in И:/Р: transcripts",
    },
    "ja": {
        "インタビュアー": "interviewer",
        "聞き手": "the listener: the interviewer",
        "質問者": "questioner",
        "司会": "moderator, chair",
        "司会者": "moderator, chair",
        "調査者": "investigator",
    },
    "zh": {
        "采访者": "interviewer (simplified; journalistic interview)",
        "採訪者": "interviewer (traditional; journalistic interview)",
        "访谈者": "interviewer (simplified; research interview)",
        "訪談者": "interviewer (traditional; research interview)",
        "访问者": "interviewer (simplified)",
        "訪問者": "interviewer (traditional)",
        "访员": "survey interviewer (simplified)",
        "訪員": "survey interviewer (traditional)",
        "主持人": "host, moderator",
        "研究者": "researcher",
        "问": "question (simplified), in 问:/答: transcripts",
        "問": "question (traditional), in 問:/答: transcripts",
    },
    "ar": {
        "المحاور": "the interviewer (the one leading the conversation)",
        "محاور": "interviewer",
        "المقابل": "the interviewer (the one conducting the interview, muqābala)",
        "الباحث": "the researcher (masculine)",
        "الباحثة": "the researcher (feminine)",
        "س": "question (سؤال), in س:/ج: transcripts",
        "سؤال": "question",
    },
}

# Participant words that are common enough to count as a speaker after a single turn. Every label
# that is not an interviewer word is a participant anyway; this list only helps detection.
PARTICIPANT_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "participant": "participant",
        "respondent": "respondent",
        "interviewee": "interviewee",
        "ie": "interviewee, in IV:/IE: transcripts",
        "user": "the participant, in AI-interviewer datasets",
        "r": "respondent, in I:/R: transcripts",
        "a": "answer, in Q:/A: transcripts",
        "answer": "answer",
        "p": "participant (P1:, P2:)",
    },
    "es": {
        "participante": "participant",
        "entrevistado": "interviewee",
        "entrevistada": "interviewee",
    },
    "de": {
        "teilnehmer": "participant (masculine)",
        "teilnehmerin": "participant (feminine)",
        "befragte": "respondent",
        "befragter": "respondent (masculine)",
        "befragte/r": "respondent (either gender)",
        "b": "respondent (Befragte/r), in I:/B: transcripts",
        "ip": "interview partner (Interviewpartner/in), in I:/IP: transcripts",
    },
    "fr": {
        "participant·e": "participant (either gender)",
        "enquêté": "respondent (masculine)",
        "enquêtée": "respondent (feminine)",
        "répondant": "respondent",
    },
    "pt": {"entrevistado": "interviewee", "entrevistada": "interviewee"},
    "ru": {
        "респондент": "respondent",
        "участник": "participant",
        "ответ": "answer",
        "о": "answer (ответ), in В:/О: transcripts",
        "р": "respondent (респондент), in И:/Р: transcripts",
    },
    "ja": {"回答者": "respondent", "参加者": "participant", "協力者": "research collaborator"},
    "zh": {
        "受访者": "interviewee (simplified)",
        "受訪者": "interviewee (traditional)",
        "答": "answer",
    },
    "ar": {"المشارك": "the participant", "المشاركة": "the participant (feminine)", "ج": "answer"},
}

_BRACKETED = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
# Numbering after the role word: "Interviewer1", "INTERVIEWER 2", "Participant #3", "P-01".
_NUMBERING = re.compile(r"[\s#№._-]*(?:no|nr)?[\s.#№]*\d+$")
_SEPARATORS = re.compile(r"[\s._]+")
_ARABIC_MARKS = re.compile("[\u0640\u064b-\u0652]")  # tatweel and short-vowel marks


@lru_cache(maxsize=8192)
def normalize_label(label: str) -> str:
    """The role word of a label: case, width, spacing, brackets, numbering and dots removed.

    ``"INTERVIEWER 2"``, ``"Interviewer1 "``, ``"Int."`` and ``"Interviewer (Kim)"`` become
    ``"interviewer"``, ``"interviewer"``, ``"int"`` and ``"interviewer"``. Cached: an import
    asks for the same few labels over and over.
    """
    text = unicodedata.normalize("NFKC", label).casefold()
    text = _ARABIC_MARKS.sub("", _BRACKETED.sub(" ", text))
    text = _SEPARATORS.sub(" ", text).strip(" :-")
    without_number = _NUMBERING.sub("", text).strip(" -")
    return without_number or text


def _normalized_words(table: dict[str, dict[str, str]]) -> frozenset[str]:
    return frozenset(normalize_label(word) for words in table.values() for word in words)


# The normalised interviewer words of every language: the default context speakers of a project.
INTERVIEWER_LABELS: frozenset[str] = _normalized_words(INTERVIEWER_WORDS)
# Roles common enough that even one occurrence marks a turn (compared after normalising).
KNOWN_ROLE_LABELS: frozenset[str] = INTERVIEWER_LABELS | _normalized_words(PARTICIPANT_WORDS)


PARTICIPANT_LABELS: frozenset[str] = _normalized_words(PARTICIPANT_WORDS)

MIN_SLIP_LENGTH = 5  # shorter words one letter apart are other words ("Int", "Intv"; "Ann", "Dan")


def one_slip(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by one edit (Damerau's: a transposition counts as one)
    and both are long enough for that to be a slip rather than another word."""
    if min(len(a), len(b)) < MIN_SLIP_LENGTH or abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    return a[i + 1 :] == b[i + 1 :] or (
        i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
    )


_INNER_SPACING = re.compile(r"[\s-]+")


@lru_cache(maxsize=4096)
def close_interviewer_word(
    label: str, interviewer_labels: frozenset[str] = INTERVIEWER_LABELS
) -> str | None:
    """The interviewer word that ``label`` misspells, or None.

    Hand-typed transcripts have ``Interviwer:``, ``Moderater:`` or ``Inter viewer:``; each such
    turn was a participant's, offered for coding. A label is taken as a word of the tables
    when, normalised, it is that word written apart (spaces, hyphens) or one typing slip away
    from it. Short words (``I``, ``IV``, ``Int``, ``Q``) are matched exactly only: one letter
    off them is another word. A label that is, or is as close to, a participant word is none
    (``Interviewe`` may be ``Interviewee``), and so is one that is a word of the tables itself.
    Only words of the tables are approximated, never names a lead added to the list.
    """
    form = normalize_label(label)
    if form in KNOWN_ROLE_LABELS or form in interviewer_labels:
        return None
    compact = _INNER_SPACING.sub("", form)
    words = [
        word
        for word in sorted(interviewer_labels & INTERVIEWER_LABELS)
        if len(word) >= MIN_SLIP_LENGTH
    ]
    spaced = next((word for word in words if compact == _INNER_SPACING.sub("", word)), None)
    if spaced is not None or compact in PARTICIPANT_LABELS:
        return spaced
    if any(one_slip(form, word) or one_slip(compact, word) for word in PARTICIPANT_LABELS):
        return None
    return next((word for word in words if one_slip(form, word) or one_slip(compact, word)), None)


def default_role(
    label: str | None, interviewer_labels: frozenset[str] = INTERVIEWER_LABELS
) -> Role:
    """The role a label gets unless the lead decides otherwise: an interviewer word, or a
    slip of one (``close_interviewer_word``), makes an interviewer."""
    if label is None:
        return Role.PARTICIPANT
    if normalize_label(label) in interviewer_labels:
        return Role.INTERVIEWER
    if close_interviewer_word(label, interviewer_labels) is not None:
        return Role.INTERVIEWER
    return Role.PARTICIPANT
