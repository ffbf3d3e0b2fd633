"""Which machine translation the open transcript shows, and whether it is on screen.

Kept apart from the passage model so the rule is in one place: a transcript in a language the
coder does not read (the ``coder_languages`` setting) shows its stored translation into the
first language the coder reads that has one; the coder can switch it off and on (Ctrl+T), and
every decision records which it was (``decisions.translation_shown``).
"""

from __future__ import annotations

from workbench.core.language import primary
from workbench.core.store import Project
from workbench.core.store.queries import metadata_for
from workbench.core.store.translations import (
    LANGUAGE_FIELD,
    StoredTranslation,
    translated_languages,
    translations_for,
)
from workbench.settings import coder_languages


class TranslationView:
    def __init__(self, project: Project):
        self.project = project
        self.visible = False
        self.language: str | None = None  # the open transcript's language, where known
        self.target: str | None = None  # the language of the translation on offer
        self._translations: dict[int, StoredTranslation] = {}

    def load(self, transcript: str | None, passage_ids: list[int]) -> None:
        """Read the open transcript's translations and decide whether they start on screen
        (``transcript``: its external id, the key of its metadata)."""
        self._translations, self.target, self.language = {}, None, None
        if transcript is None:
            self.visible = False
            return
        reads = coder_languages()
        with self.project.reading() as conn:
            meta = metadata_for(conn, [transcript]).get(transcript, {})
            self.language = meta.get(LANGUAGE_FIELD) or None
            available = translated_languages(conn, passage_ids)
            self.target = self._choose(available, reads)
            if self.target is not None:
                self._translations = translations_for(conn, passage_ids, self.target)
        foreign = self.language is not None and primary(self.language) not in reads
        self.visible = bool(self._translations) and bool(reads) and foreign

    @staticmethod
    def _choose(available: list[str], reads: list[str]) -> str | None:
        for language in reads:
            for tag in available:
                if primary(tag) == language:
                    return tag
        if "en" in available:
            return "en"
        return available[0] if available else None

    @property
    def available(self) -> bool:
        return bool(self._translations)

    def shown(self, passage_id: int) -> StoredTranslation | None:
        """The translation drawn under the passage, or None."""
        return self._translations.get(passage_id) if self.visible else None

    def shown_for(self, passage_id: int) -> bool | None:
        """What a decision on the passage records: None when it has no translation."""
        if passage_id not in self._translations:
            return None
        return self.visible
