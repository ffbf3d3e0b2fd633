"""What the abstain rule changes on the sample study's reference coding.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_abstain.py

Builds the sample study with its reference decisions (115 participant passages, 43 of them
"no code applies"), then reports, with the abstain rule off (before) and on (after):

- for the codebook-start local engine on every passage, and for the learned local engine over
  ten splits (40 passages learned from, the rest held back), the share of "no code applies"
  passages that receive a suggestion and the share of coded passages that still receive one;
- how many passages the rule itself abstains on, split into "no code applies" and coded (a
  coded passage abstained on is a miss the rule causes, for every engine, Claude included).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from workbench.cli import main as cli
from workbench.core.abstain import has_codable_content
from workbench.core.store import Project
from workbench.resources import bundled
from workbench.suggest.learning import Labelled, LearnedEngine, human_labels
from workbench.suggest.local import LocalEngine


def sample_project(location: Path) -> None:
    study = bundled("resources", "sample-study")
    codebook = bundled("codebooks", "ai-at-work.yaml")
    decisions = bundled("resources", "sample-coding", "reference-decisions.csv")
    for argv in (
        ["new", str(location), "--codebook", str(codebook)],
        ["import", str(location), str(study), "--metadata", str(study / "participants.csv")],
        ["import", str(location), str(decisions), "--decisions"],
    ):
        if cli([*argv, "--json"] if argv[0] != "new" else argv) != 0:
            raise SystemExit(f"could not build the sample project: {argv}")


def shares(engine: LocalEngine, items: list[Labelled], codebook) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Share of "no code" passages and of coded passages with at least one suggestion."""
    suggested = {s.passage_id for s in engine.suggest([i.passage for i in items], codebook)}
    none = [i for i in items if not i.codes]
    coded = [i for i in items if i.codes]
    return {
        "no_code_suggested": sum(i.passage.passage_id in suggested for i in none) / len(none),
        "coded_suggested": sum(i.passage.passage_id in suggested for i in coded) / len(coded),
    }


def measure(location: Path) -> dict[str, object]:
    with Project.open(location) as project:
        codebook = project.codebook
        labelled = human_labels(project)
    none = [i for i in labelled if not i.codes]
    report: dict[str, object] = {
        "passages": len(labelled),
        "no_code_applies": len(none),
        "rule_abstains_on_no_code": sum(not has_codable_content(i.passage.text) for i in none),
        "rule_abstains_on_coded": sum(
            not has_codable_content(i.passage.text) for i in labelled if i.codes
        ),
    }
    for abstain, label in ((False, "before"), (True, "after")):
        start = shares(LocalEngine(abstain=abstain), labelled, codebook)
        learned = []
        for seed in range(10):
            order = np.random.default_rng(seed).permutation(len(labelled))
            train = [labelled[i] for i in order[:40]]
            test = [labelled[i] for i in order[40:]]
            learned.append(shares(LearnedEngine(train, codebook, abstain=abstain), test, codebook))
        report[label] = {
            "codebook_start": {k: round(v, 3) for k, v in start.items()},
            "learned_mean_of_10_splits": {
                key: round(float(np.mean([item[key] for item in learned])), 3) for key in learned[0]
            },
        }
    return report


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        location = Path(tmp) / "sample.wb"
        sample_project(location)
        print(json.dumps(measure(location), indent=2))
