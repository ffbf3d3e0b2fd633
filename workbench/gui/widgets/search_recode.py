"""Recoding from the retrieval view: the coder reads the passages coded X beside X's definition
and removes X, applies or swaps codes, or accepts and rejects an engine's suggestion of X, on the
selected rows, without opening each passage in the workspace.

Every action goes through the core ``CodingSession`` (written at once, undoable); a selection
of several passages is one step, so one Ctrl+Z takes it back.
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.core.errors import DecisionError
from workbench.core.session import CodingSession, Command
from workbench.core.store.search import SearchHit
from workbench.core.store.suggestions import suggestions_for

# What a picker returns: the chosen code id, or None when the coder cancelled.
Picker = Callable[[str], str | None]


class Recoder:
    """The recode actions on a set of results; ``engine`` says the view lists an engine's
    suggestions of the code (accept and reject then answer the suggestion)."""

    def __init__(self, session: CodingSession, pick: Picker):
        self.session = session
        self.pick = pick

    def _mine(self, hit: SearchHit, code: str) -> bool:
        return code in hit.codes.get(self.session.coder, [])

    def _suggestion_ids(self, hits: list[SearchHit], code: str) -> dict[int, int]:
        """The latest suggestion of ``code`` on each passage (the engine's current one)."""
        with self.session.project.reading() as conn:
            found = suggestions_for(conn, [hit.passage_id for hit in hits])
        return {
            pid: max(s.id for s in stored if s.code_id == code)
            for pid, stored in found.items()
            if any(s.code_id == code for s in stored)
        }

    def _run(self, commands: list[Command], label: str) -> str:
        if not commands:
            raise DecisionError(f"nothing to do: {label} changes none of the passages chosen")
        self.session.execute_group(commands, label)
        return label

    def remove(self, hits: list[SearchHit], code: str, engine: bool) -> str:
        """Remove my ``code`` (or reject the engine's suggestion of it) on each passage."""
        if engine:
            ids = self._suggestion_ids(hits, code)
            commands = [
                Command(
                    h.passage_id,
                    f"reject {code}",
                    remove_codes=(code,),
                    reject_suggestion=ids[h.passage_id],
                )
                for h in hits
                if h.passage_id in ids
            ]
            return self._run(commands, self._label(f"reject {code}", commands))
        commands = [
            Command(h.passage_id, f"remove {code}", remove_codes=(code,))
            for h in hits
            if self._mine(h, code)
        ]
        return self._run(commands, self._label(f"remove {code}", commands, "from"))

    def apply(self, hits: list[SearchHit], code: str, engine: bool) -> str:
        """Apply ``code`` where I have not (accepting the engine's suggestion of it, if any)."""
        ids = self._suggestion_ids(hits, code) if engine else {}
        verb = "accept" if engine else "add"
        commands = [
            Command(
                h.passage_id,
                f"{verb} {code}",
                apply_codes=(code,),
                suggestion_for={code: ids[h.passage_id]} if h.passage_id in ids else {},
            )
            for h in hits
            if not self._mine(h, code)
        ]
        return self._run(commands, self._label(f"{verb} {code}", commands, "on"))

    def apply_other(self, hits: list[SearchHit]) -> str | None:
        """Apply a code chosen in the picker; None when the coder cancelled."""
        chosen = self.pick("Apply a code")
        if chosen is None:
            return None
        return self.apply(hits, chosen, engine=False)

    def replace(self, hits: list[SearchHit], code: str, engine: bool) -> str | None:
        """Swap ``code`` for one chosen in the picker (an engine's suggestion is rejected)."""
        chosen = self.pick(f"Replace {code} with…")
        if chosen is None or chosen == code:
            return None
        ids = self._suggestion_ids(hits, code) if engine else {}
        commands = [
            Command(
                h.passage_id,
                f"replace {code} with {chosen}",
                apply_codes=(chosen,),
                remove_codes=(code,),
                reject_suggestion=ids.get(h.passage_id),
            )
            for h in hits
            if (h.passage_id in ids if engine else self._mine(h, code))
        ]
        return self._run(commands, self._label(f"replace {code} with {chosen}", commands, "on"))

    @staticmethod
    def _label(action: str, commands: list[Command], preposition: str = "on") -> str:
        if len(commands) <= 1:
            return action
        return f"{action} {preposition} {len(commands)} passages"
