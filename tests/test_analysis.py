"""Findings on a worked example whose numbers can be checked by hand, and the prevalence
estimator's coverage checked by simulation."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import write
from workbench.core.analysis.exemplars import exemplars
from workbench.core.analysis.findings import (
    co_occurrence,
    coded_participants,
    frequencies,
    opposite_pairs,
    split,
    wilson,
)
from workbench.core.analysis.frames import (
    codings_frame,
    decisions_frame,
    metadata_frame,
    passages_frame,
)
from workbench.core.analysis.prevalence import ppi_mean
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store.importing import import_metadata_file, import_transcript_file

SUPPORT, DEPENDENCE = "hope.support", "fear.dependence"


@pytest.fixture
def study(tmp_path, project):
    """Ten participants. Support: p1-p4. Dependence: p1, p2, p3, p5. Groups: p1-p5 workforce."""
    rows = []
    for i in range(1, 11):
        text = f"Interviewer: How do you feel about it?\n\nParticipant: Answer number {i}, talking about how AI helps me when I am stressed.\n"
        import_transcript_file(project, write(tmp_path / f"p{i}.txt", text))
        codes = ([SUPPORT] if i <= 4 else []) + ([DEPENDENCE] if i in (1, 2, 3, 5) else [])
        rows += [(f"p{i}#2", "ana", code) for code in codes] or [(f"p{i}#2", "ana", "")]
    write(
        tmp_path / "d.csv",
        "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows),
    )
    import_decisions_csv(project, tmp_path / "d.csv")
    groups = "".join(f"p{i},{'workforce' if i <= 5 else 'creatives'}\n" for i in range(1, 11))
    import_metadata_file(project, write(tmp_path / "m.csv", "transcript_id,group\n" + groups))
    return project


def test_frequencies_with_wilson_intervals_and_roll_up(study):
    data = coded_participants(study)
    assert len(data.participants) == 10
    found = {f.code: f for f in frequencies(data, study.codebook)}
    assert found[SUPPORT].participants == 4 and found[SUPPORT].participant_share == 0.4
    low, high = found[SUPPORT].participant_ci
    assert (round(low, 3), round(high, 3)) == (0.168, 0.687)  # Wilson (1927) for 4 of 10
    assert found["hope"].participants == 4  # a child's code counts for its parent
    assert found["fear"].participants == 4 and found["prod"].participants == 0


def test_wilson_edge_cases():
    assert wilson(0, 0) is None
    low, high = wilson(0, 20)
    assert low == 0 and 0.15 < high < 0.17


def test_co_occurrence_lift_and_relative_risk(study):
    data = coded_participants(study)
    result = co_occurrence(data, SUPPORT, DEPENDENCE)
    assert (result.both, result.first_only, result.second_only, result.neither) == (3, 1, 1, 5)
    assert result.p_second_given_first == 0.75 and result.p_second_given_not_first == pytest.approx(
        1 / 6
    )
    assert result.relative_risk == pytest.approx(4.5)
    assert result.lift == pytest.approx(0.3 / (0.4 * 0.4))
    assert result.odds_ratio == pytest.approx(15.0)
    low, high = result.relative_risk_ci
    assert low < 4.5 < high
    names = {SUPPORT: "Emotional support", DEPENDENCE: "Dependence"}
    assert result.sentence(names).startswith(
        "Participants coded 'Emotional support' were 4.5x as likely to also be coded 'Dependence' (75% vs 17%"
    )


def test_split_by_group_with_a_test_and_small_groups_flagged(study):
    data = coded_participants(study)
    result = split(data, SUPPORT, "group")
    shares = {g.group: (g.with_code, g.participants) for g in result.groups}
    assert shares == {"creatives": (0, 5), "workforce": (4, 5)}
    assert result.test == "Fisher's exact test" and result.p_value == pytest.approx(
        0.0476, abs=1e-3
    )
    assert "Small groups" in result.note and all(g.small for g in result.groups)


def test_paired_codes(study):
    pairs = {
        (p.code, p.opposite): p for p in opposite_pairs(coded_participants(study), study.codebook)
    }
    pair = pairs[(SUPPORT, DEPENDENCE)]
    assert (pair.both, pair.only_code, pair.only_opposite, pair.neither) == (3, 1, 1, 5)


def test_exemplars_come_from_human_decisions(study):
    quotes = exemplars(study, SUPPORT)
    assert len(quotes) == 3 and all(key.endswith("#2") for key, _ in quotes)
    assert exemplars(study, "prod.cost") == []


def test_pandas_frames(study):
    passages, codings, decisions, metadata = (
        passages_frame(study),
        codings_frame(study),
        decisions_frame(study),
        metadata_frame(study),
    )
    assert len(passages) == 20 and {"passage_id", "speaker", "text", "coded"} <= set(
        passages.columns
    )
    assert set(codings["code"]) == {SUPPORT, DEPENDENCE} and len(codings) == 8
    assert len(decisions) == 8 + 5 and set(metadata.columns) >= {"transcript_id", "group"}
    assert list(metadata["transcript_id"]) == [f"p{i}" for i in range(1, 11)]


def test_metadata_frame_has_a_row_per_transcript_even_without_metadata(tmp_path, project):
    for name in ("a", "b"):
        text = f"Interviewer: Hi?\n\nP: Yes, this is {name}.\n"  # different: not a duplicate
        import_transcript_file(project, write(tmp_path / f"{name}.txt", text))
    frame = metadata_frame(project)
    assert list(frame["transcript_id"]) == ["a", "b"] and list(frame.columns) == ["transcript_id"]
    import_metadata_file(project, write(tmp_path / "m.csv", "transcript_id,group\nb,x\n"))
    frame = metadata_frame(project)
    assert list(frame["transcript_id"]) == ["a", "b"]  # a, without metadata, is still a row
    assert frame["group"].isna().tolist() == [True, False]


def test_prediction_powered_intervals_cover_the_truth():
    """1,000 simulated studies: an LLM that over-codes (false positives 15%, misses 20%), all
    N = 5,000 passages coded by it and a random 300 by humans. About 95% of the
    prediction-powered intervals hold the true prevalence; the naive LLM-only ones almost never."""
    rng = np.random.default_rng(20251123)
    truth_share, n_all, n_labelled = 0.19, 5000, 300
    covered = naive_covered = 0
    trials = 1000
    for _ in range(trials):
        truth = rng.random(n_all) < truth_share
        llm = np.where(truth, rng.random(n_all) > 0.20, rng.random(n_all) < 0.15)
        sample = rng.choice(n_all, n_labelled, replace=False)
        result = ppi_mean(llm, llm[sample], truth[sample])
        real = truth.mean()
        covered += result.ci[0] <= real <= result.ci[1]
        naive_covered += result.naive_ci[0] <= real <= result.naive_ci[1]
    assert 0.93 <= covered / trials <= 0.97
    assert naive_covered / trials < 0.05


def test_ppi_needs_labelled_units():
    with pytest.raises(ValueError):
        ppi_mean(np.array([1, 0, 1]), np.array([1]), np.array([1]))


def test_project_prevalence_uses_llm_codes_and_the_human_sample(tmp_path, study):
    """The LLM flags support on every passage it saw; humans reviewed them all and applied
    support to four: the corrected estimate is the human share, the naive one the LLM's."""
    from workbench.core.analysis.prevalence import project_prevalence
    from workbench.core.store.queries import list_transcripts
    from workbench.suggest.engine import Suggestion
    from workbench.suggest.runner import run_suggestions

    class Flagger:
        name, model, prompt_version, rater = "flag", "m", "p", "flag"
        sends_text = learns = False

        def suggest(self, passages, codebook, progress=None, cancel=None):
            return [
                Suggestion(p.passage_id, SUPPORT, 0.9, "", None, None, "", "flag", "m", "p")
                for p in passages
            ]

    with study.reading() as conn:
        run_suggestions(study, Flagger(), [t.id for t in list_transcripts(conn)])
    result = project_prevalence(study, SUPPORT)
    assert result.naive == 1.0 and result.estimate == pytest.approx(0.4)
    assert result.n_all == 10 and result.n_labelled == 10


def test_the_counting_rule_is_the_one_the_engine_applied(tmp_path, study):
    """ben adds support on p6; the lead then settles p6 as "no code" and p1 as dependence only.
    Consensus decides those two passages, the any-human rule the other eight."""
    from workbench.core.agreement.adjudication import adjudicate

    write(tmp_path / "ben.csv", f"passage_id,coder,code\np6#2,ben,{SUPPORT}\n")
    import_decisions_csv(study, tmp_path / "ben.csv")
    assert len(coded_participants(study).codes[SUPPORT]) == 5  # any human: ana's four + ben's p6
    adjudicate(study, "p6#2", set(), "kim", "not support")
    adjudicate(study, "p1#2", {DEPENDENCE}, "kim", "dependence only")

    data = coded_participants(study)
    rule = data.rule
    assert (rule.consensus_passages, rule.rule_passages, rule.uncounted_passages) == (2, 8, 0)
    assert rule.consensus_passages + rule.rule_passages == data.passages
    assert sorted(data.codes[SUPPORT]) == ["p2", "p3", "p4"]
    text = rule.paragraph()
    assert "10 participants (transcripts) with 10 counted passages" in text
    assert "consensus counts where there is one (2 passages)" in text
    assert "any human coder who reviewed the passage applied it (8 passages)" in text
    assert "never count" in text

    only_ben = coded_participants(study, "ben")
    assert (only_ben.rule.rule_passages, only_ben.rule.uncounted_passages) == (1, 9)
    assert only_ben.passages == 1 and "9 reviewed passages had no decision" in (
        only_ben.rule.paragraph()
    )
    humans = coded_participants(study, "humans").rule
    assert (humans.consensus_passages, humans.rule_passages) == (0, 10)


def test_engine_suggestions_never_count(study):
    from workbench.core.store.queries import list_transcripts
    from workbench.suggest.engine import Suggestion
    from workbench.suggest.runner import run_suggestions

    class Flagger:
        name, model, prompt_version, rater = "flag", "m", "p", "flag"
        sends_text = learns = False

        def suggest(self, passages, codebook, progress=None, cancel=None):
            return [
                Suggestion(p.passage_id, "prod.cost", 0.99, "", None, None, "", "flag", "m", "p")
                for p in passages
            ]

    with study.reading() as conn:
        run_suggestions(study, Flagger(), [t.id for t in list_transcripts(conn)])
    data = coded_participants(study)
    assert "prod.cost" not in data.codes and data.rule.rule_passages == 10


def test_every_code_is_split_and_adjusted_over_the_whole_family(study):
    from workbench.core.analysis.splits import split_family

    family = split_family(coded_participants(study), study.codebook, ["group"])
    codes = [code.id for code in study.codebook.walk()]
    assert [s.split.code for s in family.splits] == codes  # every code, not the top ten
    tested = {s.split.code: s for s in family.splits if s.split.p_value is not None}
    # support and dependence, and their parents hope and fear: 4 of 10 vs 0 of 5 each way
    assert sorted(tested) == sorted(["hope", SUPPORT, "fear", DEPENDENCE])
    assert family.tests == 4
    p = tested[SUPPORT].split.p_value
    for result in tested.values():
        assert result.holm == pytest.approx(4 * p)  # four equal p-values: m * p, all of them
        assert result.bh == pytest.approx(p)  # m / m * p for the largest, carried down
    untested = [s for s in family.splits if s.split.p_value is None]
    assert untested and all(s.holm is None and s.bh is None for s in untested)
    assert "all 4 tests in this report" in family.method()


def test_split_fields_by_the_group_count_rule_and_unknown_fields_named():
    from workbench.core.analysis.findings import CodedParticipants, CountingRule
    from workbench.core.analysis.splits import UnknownFieldError, choose_split_fields

    people = [f"p{i:02d}" for i in range(25)]
    metadata = {
        p: {"language": "en", "region": "north" if i % 2 else "south", "job": f"job {i}"}
        for i, p in enumerate(people)
    }
    for i, p in enumerate(people[:8]):
        metadata[p]["city"] = f"city {i}"  # eight people, eight cities: groups of one
    for p in people[:10]:
        metadata[p]["stage"] = "early" if p < "p05" else "late"  # ten people, two groups
    metadata["x_uncounted"] = {"cohort": "2024"}  # a field no counted participant has
    data = CodedParticipants(people, {}, 25, {}, metadata, CountingRule("auto", 0, 25, 0, 25))
    choice = choose_split_fields(data)
    assert choice.fields == ["region", "stage"]
    assert choice.left_out == {
        "city": "8 groups for 8 participants",
        "cohort": "0 groups",
        "job": "25 groups, more than 20",
        "language": "1 group",
    }
    sentence = choice.sentence()
    assert "at least two participants per group on average: region, stage (10 of 25" in sentence
    assert "Left out: city (8 groups for 8 participants); cohort (0 groups); job (25 groups, " in (
        sentence
    )
    assert choose_split_fields(data, ["language", "job"]).fields == ["language", "job"]
    with pytest.raises(UnknownFieldError) as error:
        choose_split_fields(data, ["region", "gender"])
    assert str(error.value) == (
        "unknown metadata field 'gender'; the project's fields are: "
        "city, cohort, job, language, region, stage"
    )
