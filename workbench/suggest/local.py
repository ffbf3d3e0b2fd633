"""The local engine: offline, free, works in any language, and starts from the codebook itself.

Each leaf code gets a prototype text from its name, definition, include rules and examples. A
passage is compared with every prototype by TF-IDF cosine similarity over word stems (words cut
to six letters, English function words dropped; scripts written without spaces are cut into
character pairs). The best-matching sentence of the passage is its evidence. This is the codebook-only start; it
makes no claim to accuracy until it is measured against human decisions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
from sklearn.metrics.pairwise import cosine_similarity

from workbench.core.codebook import Code, Codebook
from workbench.core.tasks import CancelToken, Progress
from workbench.suggest.engine import PassageInput, Suggestion

_SENTENCE = re.compile(r"[^.!?。！？؟\n]+[.!?。！？؟]*")
_WORD = re.compile(r"\w{4,}")
_TOKEN = re.compile(r"\w+")
_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_STEM = 6


def stems(text: str) -> list[str]:
    """Word stems and bigrams of stems: the features both passages and prototypes are cut into."""
    found: list[str] = []
    for token in _TOKEN.findall(text.casefold()):
        if _NO_SPACES.search(token):
            found.extend(token[i : i + 2] for i in range(max(1, len(token) - 1)))
        elif len(token) > 2 and token not in ENGLISH_STOP_WORDS and not token.isdigit():
            found.append(token[:_STEM])
    return found + [f"{a} {b}" for a, b in zip(found, found[1:])]


def code_prototype(code: Code) -> str:
    """The text a code is recognised by: examples count twice, they are the closest to data."""
    parts = [code.name, code.definition, *code.include, *code.examples, *code.examples]
    return "\n".join(parts)


def sentences(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text``, trimmed of surrounding spaces."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end - start >= 3:
            spans.append((start, end))
    return spans or [(0, len(text))]


def in_batches(
    passages: Sequence[PassageInput],
    progress: Progress | None,
    cancel: CancelToken | None,
    size: int = 256,
) -> Iterator[Sequence[PassageInput]]:
    """Passages a batch at a time: cancel is checked before each, progress told after each."""
    for start in range(0, len(passages), size):
        if cancel is not None:
            cancel.raise_if_cancelled()
        yield passages[start : start + size]
        if progress is not None:
            progress(min(start + size, len(passages)), len(passages), "local suggestions")


def evidence_span(text: str, vectorizer: TfidfVectorizer, target) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """``(start, end)`` of the sentence of ``text`` closest to ``target`` (one vector row)."""
    spans = sentences(text)
    per_sentence = cosine_similarity(
        vectorizer.transform([text[s:e] for s, e in spans]), target
    ).ravel()
    return spans[int(np.argmax(per_sentence))]


class LocalEngine:
    """Codebook-similarity suggestions; see the module docstring for what it does and does not do."""

    name = "local"
    model = "tfidf-stems-codebook"
    prompt_version = "local-1"
    rater = "local"  # one rater whatever it has learned: its model names the retrain

    def __init__(self, max_per_passage: int = 3, min_similarity: float = 0.03):
        self.max_per_passage = max_per_passage
        self.min_similarity = min_similarity

    def suggest(
        self,
        passages: Sequence[PassageInput],
        codebook: Codebook,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Suggestion]:
        leaves = [code for code in codebook.walk() if not code.children]
        if not passages or not leaves:
            return []
        prototypes = [code_prototype(code) for code in leaves]
        vectorizer = TfidfVectorizer(analyzer=stems, sublinear_tf=True)
        vectorizer.fit(prototypes + [p.text for p in passages])
        code_vectors = vectorizer.transform(prototypes)
        results: list[Suggestion] = []
        for chunk in in_batches(passages, progress, cancel):
            scores = cosine_similarity(vectorizer.transform([p.text for p in chunk]), code_vectors)
            for passage, row in zip(chunk, scores, strict=True):
                results.extend(self._for_passage(passage, row, leaves, code_vectors, vectorizer))
        return results

    def _for_passage(self, passage, row, leaves, code_vectors, vectorizer) -> list[Suggestion]:  # type: ignore[no-untyped-def]
        order = np.argsort(-row)[: self.max_per_passage]
        chosen = [index for index in order if row[index] >= self.min_similarity]
        if not chosen:
            return []
        found = []
        for index in chosen:
            code = leaves[index]
            start, end = evidence_span(passage.text, vectorizer, code_vectors[index])
            evidence = passage.text[start:end]
            found.append(
                Suggestion(
                    passage_id=passage.passage_id,
                    code_id=code.id,
                    confidence=round(float(min(1.0, row[index] / 0.3)), 3),
                    evidence=evidence,
                    evidence_start=start,
                    evidence_end=end,
                    rationale=self._rationale(code, evidence),
                    engine=self.name,
                    model=self.model,
                    prompt_version=self.prompt_version,
                )
            )
        return found

    @staticmethod
    def _rationale(code: Code, evidence: str) -> str:
        code_stems = set(stems(code_prototype(code)))
        shared: list[str] = []
        seen: set[str] = set()
        for word in _WORD.findall(evidence):
            cut = stems(word)
            if cut and cut[0] in code_stems and cut[0] not in seen:
                seen.add(cut[0])
                shared.append(word)
        if shared:
            return f"Wording close to the codebook's '{code.name}': {', '.join(shared[:4])}."
        return f"Closest in wording to the codebook's description of '{code.name}'."
