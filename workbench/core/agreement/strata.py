"""Agreement per stratum: do the coders agree in Arabic as well as in English?

A stratum is the set of passages whose transcript has one value of a metadata field (language,
group, site, …), or, for the pseudo-field ``translation``, whether the passage's coders read it
in a machine translation (each coder's own decisions say so). Each stratum gets the same overall figure as the whole study, with its own
passages, coders and bootstrap interval, so that strata can be compared and a weak one found.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.agreement.compute import MetricResult, overall_metric
from workbench.core.agreement.data import AgreementDataError, CodedData
from workbench.core.store import Project
from workbench.core.store.queries import metadata_fields
from workbench.core.store.raters import passage_field_values
from workbench.core.store.translations import read_in_translation

NO_VALUE = "(no value)"
TRANSLATION = "translation"  # not metadata: whether the coders read the passage in translation
IN_TRANSLATION = "read in translation (every coder)"
MIXED = "read in translation (some coders)"
ORIGINAL = "read in the original (every coder)"


@dataclass(frozen=True)
class Stratum:
    value: str
    passages: int  # passages in the stratum reviewed by any of the coders
    result: MetricResult

    def to_dict(self) -> dict[str, object]:
        return {
            "stratum": self.value,
            "passages": self.passages,
            **self.result.to_dict(with_ci=True),
        }


def stratum_values(project: Project, data: CodedData, field: str) -> list[str]:
    """Each unit's value of ``field`` (``NO_VALUE`` where its transcript has none)."""
    if data.passage_ids is None:
        raise AgreementDataError("--by needs a project: a ratings file has no metadata")
    if field == TRANSLATION:
        return translation_values(project, data)
    with project.reading() as conn:
        known = metadata_fields(conn)
        if field not in known:
            raise AgreementDataError(
                f"--by {field}: no such metadata field; known: {', '.join(known) or 'none'}"
            )
        values = passage_field_values(conn, data.passage_ids, field)
    return [values.get(pid, NO_VALUE) for pid in data.passage_ids]


def translation_values(project: Project, data: CodedData) -> list[str]:
    """Each unit's stratum by reading: every coder who rated it read it in translation, some
    did, or none did. A coder read a passage in translation when a decision of theirs on it was
    made with its translation on screen; engines read the original."""
    assert data.passage_ids is not None
    with project.reading() as conn:
        read = read_in_translation(conn, data.passage_ids)
    values = []
    for row, passage_id in enumerate(data.passage_ids):
        raters = [name for j, name in enumerate(data.coders) if data.reviewed[row, j]]
        translated = sum(1 for name in raters if (passage_id, name) in read)
        if translated == 0:
            values.append(ORIGINAL)
        elif translated == len(raters):
            values.append(IN_TRANSLATION)
        else:
            values.append(MIXED)
    return values


def strata_note(field: str, strata: list[Stratum]) -> str | None:
    """The one sentence a split with nothing to compare needs (None when there are two or more
    strata): a lone stratum beside no other is easily misread as a comparison."""
    if len(strata) != 1:
        return None
    if field == TRANSLATION and strata[0].value == ORIGINAL:
        return (
            "Nobody read a passage in machine translation (no decision was made with a "
            "translation on screen), so there is no split by translation to compare."
        )
    return f"All passages fall in one stratum of {field} ({strata[0].value}): nothing to compare."


def agreement_by(
    project: Project, data: CodedData, field: str, metric: str = "alpha", distance: str = "masi"
) -> list[Stratum]:
    """The overall metric in every stratum of ``field``, with its interval."""
    values = np.array(stratum_values(project, data, field), dtype=object)
    order = sorted(set(values), key=lambda v: (v == NO_VALUE, v))
    strata = []
    for value in order:
        subset = data.units_where(values == value)
        result = overall_metric(subset, metric, distance, ci=True)
        strata.append(Stratum(str(value), len(subset.units), result))
    return strata
