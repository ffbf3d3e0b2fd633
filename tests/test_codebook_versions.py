"""Agreement, findings and exports per codebook version, on hand-made codings whose figures
differ between versions (and from the codings as they are now)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import write
from workbench.cli import main
from workbench.core.agreement.data import project_data
from workbench.core.analysis.findings import coded_participants
from workbench.core.codebook import parse_codebook
from workbench.core.codebook_edit import CodebookDocument
from workbench.core.spreadsheet import import_decisions_csv
from workbench.core.store.importing import import_transcript_file

pytestmark = pytest.mark.backends

INTERVIEW = (
    "Interviewer: q1\n\nParticipant: a1\n\nInterviewer: q2\n\nParticipant: a2\n\n"
    "Interviewer: q3\n\nParticipant: a3\n"
)


def _decide(project, path, rows):  # type: ignore[no-untyped-def]
    write(path, "passage_id,coder,code\n" + "".join(f"{p},{c},{k}\n" for p, c, k in rows))
    import_decisions_csv(project, path)


def _next_version(project, change):  # type: ignore[no-untyped-def]
    document = CodebookDocument.from_codebook(project.codebook)
    change(document)
    document.set_version(project.codebook.version + 1)
    return parse_codebook(document.text())


@pytest.fixture
def versioned(tmp_path, project):  # type: ignore[no-untyped-def]
    """v1: ana and ben agree on every passage. v2 (a code added): both recode p1#2 and p1#4
    and disagree; p1#6 is not touched under v2."""
    import_transcript_file(project, write(tmp_path / "p1.txt", INTERVIEW))
    _decide(
        project,
        tmp_path / "v1.csv",
        [
            ("p1#2", "ana", "hope.time"),
            ("p1#2", "ben", "hope.time"),
            ("p1#4", "ana", "hope.time"),
            ("p1#4", "ben", "hope.time"),
            ("p1#6", "ana", ""),
            ("p1#6", "ben", ""),
        ],
    )
    assert project.codebook.version == 1
    project.add_codebook_version(
        _next_version(project, lambda d: d.add_code("hope.calm", "Calm", "At ease.", "hope"))
    )
    assert project.codebook.version == 2
    _decide(
        project,
        tmp_path / "v2.csv",
        [
            ("p1#2", "ana", "prod.speed"),
            ("p1#2", "ben", "fear.atrophy"),
            ("p1#4", "ana", "hope.time"),
            ("p1#4", "ana", "prod.speed"),
            ("p1#4", "ben", "prod.speed"),
        ],
    )
    return project


def _codes(data, unit, coder):  # type: ignore[no-untyped-def]
    row, column = data.units.index(unit), data.coders.index(coder)
    return {code for i, code in enumerate(data.codes) if data.present[row, column, i]}


def test_each_version_sees_the_codings_made_under_it(versioned):
    v1 = project_data(versioned, codebook_version=1)
    assert v1.codebook_version == 1
    assert v1.units == ["p1#2", "p1#4", "p1#6"]
    assert "hope.calm" not in v1.codes  # v1's codes, not today's
    for unit, codes in (("p1#2", {"hope.time"}), ("p1#4", {"hope.time"}), ("p1#6", set())):
        assert _codes(v1, unit, "ana") == codes and _codes(v1, unit, "ben") == codes
    v2 = project_data(versioned, codebook_version=2)
    assert "hope.calm" in v2.codes
    assert v2.units == ["p1#2", "p1#4"]  # p1#6 was coded under v1 only
    assert _codes(v2, "p1#2", "ana") == {"prod.speed"}
    assert _codes(v2, "p1#2", "ben") == {"fear.atrophy"}
    assert _codes(v2, "p1#4", "ana") == {"hope.time", "prod.speed"}
    assert _codes(v2, "p1#4", "ben") == {"prod.speed"}
    now = project_data(versioned)
    assert now.units == ["p1#2", "p1#4", "p1#6"] and now.codebook_version is None


def test_agreement_cli_per_version_differs_and_names_the_version(versioned, capsys):
    location = str(versioned.location)
    versioned.close()
    results = {}
    for extra in ([], ["--codebook-version", "1"], ["--codebook-version", "2"]):
        capsys.readouterr()
        assert main(["agreement", location, "--metric", "alpha", "--json", *extra]) == 0
        results[tuple(extra)] = json.loads(capsys.readouterr().out)
    v1, v2 = results[("--codebook-version", "1")], results[("--codebook-version", "2")]
    now = results[()]
    assert v1["value"] == pytest.approx(1.0)  # they agreed on everything under v1
    assert v2["value"] is not None and v2["value"] < 0.5
    assert now["value"] != v1["value"]
    assert v1["codebook"]["version"] == 1 and "under version 1" in v1["codebook"]["codings"]
    assert v2["codebook"]["version"] == 2
    assert now["codebook"] == {"name": "AI at work", "version": 2, "codings": "as they are now"}
    assert v1["units"] == 3 and v2["units"] == 2
    capsys.readouterr()
    assert main(["agreement", location, "--codebook-version", "1"]) == 0
    assert "codebook 'AI at work' v1; codings made under version 1" in capsys.readouterr().out


def test_a_missing_version_is_one_clear_error(versioned, capsys):
    location = str(versioned.location)
    versioned.close()
    capsys.readouterr()
    assert main(["agreement", location, "--codebook-version", "9"]) == 1
    err = capsys.readouterr().err
    assert "no codebook version 9 (stored versions: 1, 2)" in err
    assert "Traceback" not in err


def test_findings_per_version(versioned):
    v1 = coded_participants(versioned, codebook_version=1)
    v2 = coded_participants(versioned, codebook_version=2)
    now = coded_participants(versioned)
    assert v1.passage_codes.get("hope.time") == 2 and "prod.speed" not in v1.passage_codes
    assert v2.passage_codes.get("prod.speed") == 2 and v2.passages == 2
    assert now.passages == 3


def test_codings_a_migration_carried_are_not_the_coders_decisions(versioned, tmp_path):
    from workbench.core.codebook_migration import apply_migration, plan_migration

    renamed = _next_version(versioned, lambda d: d.rename_code("prod.speed", "prod.fast"))
    plan = plan_migration(versioned, renamed)
    assert plan.refusal() is None
    apply_migration(versioned, plan, "lead")
    assert versioned.codebook.version == 3
    assert project_data(versioned, codebook_version=3).units == []  # nobody coded under v3
    now = project_data(versioned)
    assert _codes(now, "p1#4", "ben") == {"prod.fast"}  # carried, as before
    v2 = project_data(versioned, codebook_version=2)
    assert _codes(v2, "p1#4", "ben") == {"prod.speed"}  # v2 still reads as coded then
    # ben recodes p1#4 under v3: from then on that pair counts for v3, with the carried code
    _decide(
        versioned, tmp_path / "v3.csv", [("p1#4", "ben", "prod.fast"), ("p1#4", "ben", "hope.time")]
    )
    v3 = project_data(versioned, codebook_version=3)
    assert v3.units == ["p1#4"] and _codes(v3, "p1#4", "ben") == {"prod.fast", "hope.time"}


def test_codebook_export_of_a_stored_version(versioned, tmp_path, capsys):
    location = str(versioned.location)
    v1_text = versioned.codebook_at(1).source_text
    latest_text = versioned.codebook.source_text
    versioned.close()
    out1, latest = tmp_path / "v1.yaml", tmp_path / "latest.yaml"
    assert main(["codebook", "export", f"{location}@1", "--out", str(out1)]) == 0
    assert "v1 written" in capsys.readouterr().out
    assert out1.read_text(encoding="utf-8") == v1_text
    assert "hope.calm" not in out1.read_text(encoding="utf-8")
    assert main(["codebook", "export", location, "--out", str(latest)]) == 0
    assert latest.read_text(encoding="utf-8") == latest_text
    assert "hope.calm" in latest_text
    appendix = tmp_path / "v1.md"
    assert main(["codebook", "export", f"{location}@1", "--out", str(appendix)]) == 0
    assert "hope.calm" not in appendix.read_text(encoding="utf-8")
    capsys.readouterr()
    missing = tmp_path / "v7.yaml"
    assert main(["codebook", "export", f"{location}@7", "--out", str(missing)]) == 1
    err = capsys.readouterr().err
    assert "no codebook version 7 (stored versions: 1, 2)" in err and "Traceback" not in err
    assert not missing.exists()


def test_reports_name_the_version_they_used(versioned, tmp_path):
    from workbench.reports.writer import build_report

    agreement = build_report(versioned, "agreement", ci=False, codebook_version=1)
    assert agreement.subtitle.startswith("codebook v1 · codings made under it")
    analysis = build_report(versioned, "analysis", codebook_version=1)
    assert "codebook v1 · codings made under it" in analysis.subtitle
    assert build_report(versioned, "analysis").subtitle.endswith("codebook v2")


def test_codebook_health_per_version(versioned, capsys):
    """v1 has no hope.calm and its codings all agree; v2 added hope.calm (never used) and its
    codings disagree, so the findings must differ by version, and a missing one is refused."""
    location = str(versioned.location)
    versioned.close()
    found = {}
    for version in ("1", "2"):
        capsys.readouterr()
        argv = ["codebook", "health", location, "--codebook-version", version, "--json"]
        assert main(argv) == 0
        found[version] = json.loads(capsys.readouterr().out)
    assert "hope.calm" not in found["1"]["never_used"]
    assert "hope.calm" in found["2"]["never_used"]
    assert found["1"]["low_agreement"] == []  # ana and ben agreed on everything under v1
    assert {item["code"] for item in found["2"]["low_agreement"]} & {"prod.speed", "hope.time"}
    assert main(["codebook", "health", location, "--codebook-version", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("codebook 'AI at work' v1; codings made under version 1")
    assert main(["codebook", "health", location, "--codebook-version", "9"]) == 1
    err = capsys.readouterr().err
    assert "no codebook version 9 (stored versions: 1, 2)" in err and "Traceback" not in err
