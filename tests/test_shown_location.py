"""A server project's password never reaches what a user reads or hands on: reports, status,
verify output and error messages name the project with the password masked."""

from __future__ import annotations

import pytest

from workbench.core.store.database import shown_location


def test_a_url_password_is_masked_and_a_file_path_is_kept():
    url = "postgresql+psycopg://ana:s3cret@db.example:5432/study"
    shown = shown_location(url)
    assert "s3cret" not in shown and "ana" in shown and "db.example:5432/study" in shown
    assert shown_location("/data/study.wb") == "/data/study.wb"
    assert shown_location("postgresql://db.example/study") == "postgresql://db.example/study"


def test_an_unreadable_url_is_masked_anyway():
    assert "pw" not in shown_location("weird://user:pw@host/x?%%%")


@pytest.mark.backends
def test_status_verify_and_the_agreement_report_never_carry_the_password(project):
    """On the server (``.ci/run`` gives the test role the password 'workbench') the location
    shown is masked; on SQLite it is the file path as given."""
    from workbench.core.store.integrity import verify_project
    from workbench.reports.agreement_report import build_agreement_report

    secret = ":workbench@"
    assert secret not in str(project.status()["project"])
    assert secret not in str(verify_project(project.location).to_dict()["project"])
    report = build_agreement_report(project, ci=False)
    assert secret not in repr(report)
