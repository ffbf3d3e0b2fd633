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
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from workbench.core.codebook import Code, Codebook
from workbench.core.tasks import CancelToken, Progress
from workbench.suggest.engine import PassageInput, Suggestion, codable

_SENTENCE = re.compile(r"[^.!?。！？؟\n]+[.!?。！？؟]*")
_WORD = re.compile(r"\w{4,}")
_TOKEN = re.compile(r"\w+")
_NO_SPACES = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_STEM = 6


def stems(text: str) -> list[str]:
    """Word stems and bigrams of stems: the features both passages and prototypes are cut into."""
    folded = text.casefold()
    tokens = _TOKEN.findall(folded)
    if _NO_SPACES.search(folded) is None:  # the common case: one test per text, not per word
        found = [
            token[:_STEM]
            for token in tokens
            if len(token) > 2 and token not in ENGLISH_STOP_WORDS and not token.isdigit()
        ]
    else:
        found = []
        for token in tokens:
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


def evidence_spans(
    texts: Sequence[str],
    pairs: Sequence[tuple[int, int]],
    vectorizer: TfidfVectorizer,
    targets: sparse.csr_matrix | np.ndarray,  # unit rows: the codes' vectors or centroids
) -> list[tuple[int, int]]:
    """For each ``(text index, target row)`` pair, the ``(start, end)`` of the sentence of that
    text closest to that target.

    Every sentence of every text involved is vectorised in one call and scored against every
    target in one product: one call per sentence was most of the local engine's time. Rows of
    the vectoriser and of ``targets`` have unit length, so a dot product is the cosine.
    """
    if not pairs:
        return []
    wanted = sorted({text for text, _target in pairs})
    spans: dict[int, list[tuple[int, int]]] = {i: sentences(texts[i]) for i in wanted}
    offsets: dict[int, int] = {}
    flat: list[str] = []
    for i in wanted:
        offsets[i] = len(flat)
        flat.extend(texts[i][s:e] for s, e in spans[i])
    similarity = vectorizer.transform(flat) @ targets.T
    similarity = similarity.toarray() if sparse.issparse(similarity) else np.asarray(similarity)
    found = []
    for text, target in pairs:
        rows = similarity[offsets[text] : offsets[text] + len(spans[text]), target]
        found.append(spans[text][int(np.argmax(rows))])
    return found


class LocalEngine:
    """Codebook-similarity suggestions; see the module docstring for what it does and does not do."""

    name = "local"
    model = "tfidf-stems-codebook"  # labels.CODEBOOK_MODEL
    prompt_version = "local-1"
    rater = "local"  # one rater whatever it has learned: its model names the retrain
    sends_text = False  # everything runs on this machine
    learns = False  # the codebook alone; LearnedEngine learns from decisions

    def __init__(
        self, max_per_passage: int = 3, min_similarity: float = 0.03, abstain: bool = True
    ):
        self.max_per_passage = max_per_passage
        self.min_similarity = min_similarity
        # False only to measure what the abstain rule changes (benchmarks/bench_abstain.py).
        self.abstain = abstain

    def codable(self, passages: Sequence[PassageInput]) -> list[PassageInput]:
        """The passages this engine scores: all but those with no codable content."""
        return codable(passages) if self.abstain else list(passages)

    def suggest(
        self,
        passages: Sequence[PassageInput],
        codebook: Codebook,
        progress: Progress | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Suggestion]:
        leaves = [code for code in codebook.walk() if not code.children]
        passages = self.codable(passages)
        if not passages or not leaves:
            return []
        prototypes = [code_prototype(code) for code in leaves]
        texts = [p.text for p in passages]
        vectorizer = TfidfVectorizer(analyzer=stems, sublinear_tf=True)
        # One pass of the analyser over every text: fit_transform is fit then transform.
        matrix = vectorizer.fit_transform(prototypes + texts)
        code_vectors = matrix[: len(prototypes)]
        rows = matrix[len(prototypes) :]
        results: list[Suggestion] = []
        done = 0
        for chunk in in_batches(passages, progress, cancel):
            scores = (rows[done : done + len(chunk)] @ code_vectors.T).toarray()
            done += len(chunk)
            results.extend(self._for_chunk(chunk, scores, leaves, code_vectors, vectorizer))
        return results

    def _for_chunk(
        self,
        chunk: Sequence[PassageInput],
        scores: np.ndarray,
        leaves: list[Code],
        code_vectors: sparse.csr_matrix,
        vectorizer: TfidfVectorizer,
    ) -> list[Suggestion]:
        order = np.argsort(-scores, axis=1)[:, : self.max_per_passage]
        pairs = [
            (i, int(j))
            for i, row in enumerate(order)
            for j in row
            if scores[i, j] >= self.min_similarity
        ]
        texts = [p.text for p in chunk]
        found = []
        for (i, j), (start, end) in zip(
            pairs, evidence_spans(texts, pairs, vectorizer, code_vectors), strict=True
        ):
            passage, code = chunk[i], leaves[j]
            evidence = passage.text[start:end]
            found.append(
                Suggestion(
                    passage_id=passage.passage_id,
                    code_id=code.id,
                    confidence=round(float(min(1.0, scores[i, j] / 0.3)), 3),
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
