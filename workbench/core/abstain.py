"""Passages with nothing to code: greetings, thanks, "no questions", bare acknowledgements.

Every engine abstains on them, by this one rule, before anything is scored or sent. Without
it the local engine matched "sounds good" to whatever code shared a word, and a model asked
for codes on "Thank you!" produced some. The rule is deliberately narrow: a passage abstains
only when it is at most 24 words and 300 characters long, has no digit, and, once the stock
phrases of the languages below are taken out, has no word left (or never had a letter). A
passage that says anything else, in any language, is coded as usual; a language not listed
never abstains.
Words are compared case-folded and with accents kept; scripts written without spaces
(Japanese, Chinese) are matched by phrase.
"""

from __future__ import annotations

import re

# Words that, alone or together, carry nothing codable: greetings, thanks, yes/no,
# acknowledgements, "no (more) questions", and the fillers that glue them together.
_FILLER_WORDS: dict[str, str] = {
    "en": "hi hello hey bye goodbye good morning afternoon evening night thanks thank you "
    "thx ty cheers much very so lot lots appreciate appreciated it that this is all "
    "ok okay k kk sure yes yeah yep yup ya no nope nah not really alright right great "
    "cool nice perfect fine sounds good got understood of course problem problems worries "
    "i i'm im have don't dont do any more question questions nothing else from my "
    "side end for the a to me we're were done well um uh hmm oh ah bit again "
    "wonderful awesome excellent lovely glad pleasure welcome too same likewise indeed "
    "let's lets let us get go started start begin ahead ready yet far on at for you "
    "will be would can could anything share time now here there today",
    "es": "hola buenos buenas días dias tardes noches adiós adios gracias muchas muchísimas "
    "vale sí si no claro perfecto bien muy de acuerdo nada más mas tengo ninguna "
    "pregunta preguntas por todo eso es ok genial listo empecemos comencemos adelante "
    "empezamos vamos",
    "fr": "bonjour bonsoir salut au revoir merci beaucoup d'accord daccord oui non ok "
    "parfait très bien pas de question questions rien je n'ai ai plus c'est tout ça "
    "marche super génial entendu allons y allez commençons on peut commencer",
    "de": "hallo guten morgen tag abend tschüss tschüs danke vielen dank schön ja nein ok "
    "okay gut sehr klingt alles klar keine frage fragen mehr ich habe nichts genau "
    "super prima perfekt gerne los geht's gehts fangen wir an",
    "pt": "olá ola oi bom dia boa tarde noite tchau obrigado obrigada muito sim não nao "
    "ok certo claro perfeito tudo bem nenhuma pergunta perguntas tenho mais nada é isso "
    "vamos começar lá",
    "it": "ciao buongiorno buonasera arrivederci grazie mille sì si no ok va bene perfetto "
    "certo nessuna domanda domande non ho altro niente tutto molto iniziamo cominciamo pure",
    "nl": "hallo hoi dag doei dank je wel bedankt ja nee oké ok goed prima geen vragen "
    "vraag meer niets",
    "ru": "привет здравствуйте спасибо большое да нет хорошо ладно понятно вопросов нет "
    "до свидания отлично",
    "ar": "مرحبا شكرا شكراً جزيلا نعم لا حسنا تمام أسئلة مع السلامة تفضل تفضلي",
    "ko": "안녕하세요 감사합니다 고맙습니다 네 예 아니요 좋아요 알겠습니다 질문 없습니다",
}
# Phrases of scripts written without spaces, matched anywhere in the text.
_FILLER_PHRASES: dict[str, tuple[str, ...]] = {
    "ja": (
        "ありがとうございました",
        "ありがとうございます",
        "始めましょう",
        "お願いします",
        "よろしくお願いします",
        "質問はありません",
        "特にありません",
        "こんにちは",
        "ありがとう",
        "大丈夫です",
        "わかりました",
        "さようなら",
        "いいえ",
        "どうぞ",
        "はい",
        "です",
    ),
    "zh": (
        "开始吧",
        "请开始",
        "没有问题",
        "没有了",
        "谢谢你",
        "谢谢",
        "你好",
        "好的",
        "再见",
        "是的",
        "没有",
        "可以",
    ),
}

_WORDS = frozenset(
    word.replace("’", "'") for words in _FILLER_WORDS.values() for word in words.split()
)
_PHRASES = tuple(
    sorted((p for phrases in _FILLER_PHRASES.values() for p in phrases), key=len, reverse=True)
)
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
MAX_WORDS = 24  # longer than this, a passage says something even if made of stock words
# Past this length a passage is codable without looking: no run of stock phrases is this long,
# and most passages are, so the rule costs almost nothing at corpus scale.
MAX_CHARS = 300


def has_codable_content(text: str) -> bool:
    """False for a passage no code can apply to (see the module docstring for the rule)."""
    if len(text) > MAX_CHARS or _DIGIT.search(text):  # a number is something said ("30%")
        return True
    folded = text.casefold().replace("’", "'")
    for phrase in _PHRASES:
        if phrase in folded:
            folded = folded.replace(phrase, " ")
    words = _WORD.findall(folded)
    if len(words) > MAX_WORDS:
        return True
    return any(word not in _WORDS for word in words)
