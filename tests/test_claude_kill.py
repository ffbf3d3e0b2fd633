"""A sync Claude run killed with SIGKILL mid-run keeps every paid result; a resume sends the rest.

The CLI runs in a subprocess against a loopback fake of the Messages API (ANTHROPIC_BASE_URL on
127.0.0.1), which counts the requests it is sent and kills the process on the fourth.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.conftest import REPO, write
from tests.test_claude_engine import PASSAGE, good_reply, message
from workbench.cli import main
from workbench.core.store import Project, schema

LONG = "I use it every day for drafting reports and it saves me time. " * 80  # ~5,000 chars


class FakeServer(ThreadingHTTPServer):
    kill_on: int | None = None
    process: subprocess.Popen | None = None  # type: ignore[type-arg]

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.passages_asked: list[list[str]] = []
        self.lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if self.path != "/v1/messages":
            self.send_error(404)
            return
        with self.server.lock:
            self.server.passages_asked.append(
                [pid for pid, _ in PASSAGE.findall(body["messages"][0]["content"])]
            )
            number = len(self.server.passages_asked)
        if number == self.server.kill_on and self.server.process is not None:
            self.server.process.send_signal(signal.SIGKILL)
            self.server.process.wait()
            return
        payload = json.dumps(message(good_reply(body))).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def server():
    fake = FakeServer()
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


def suggest(project: str, server: FakeServer, *extra: str) -> subprocess.Popen:  # type: ignore[type-arg]
    env = {
        k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "ANTHROPIC_API_KEY"
    }
    env.update(
        PYTHONPATH=str(REPO),
        ANTHROPIC_API_KEY="sk-test-not-a-real-key",
        ANTHROPIC_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}",
        WORKBENCH_CODER="tester",
        PYTHONWARNINGS="ignore",
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "workbench",
            "suggest",
            project,
            "--engine",
            "claude",
            "--concurrency",
            "1",
            "--json",
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_sigkill_mid_run_keeps_paid_results_and_resume_sends_only_the_rest(tmp_path, server):
    project = str(tmp_path / "study.wb")
    files = []
    for n in range(2):  # a request holds one interview: 2 of 6 passages, 2 passages a request
        text = "".join(
            f"Interviewer: Question {i}?\n\nParticipant: {LONG}{n}-{i}\n\n" for i in range(6)
        )
        files.append(str(write(tmp_path / f"p{n}.txt", text)))
    assert main(["new", project, "--codebook", str(REPO / "codebooks" / "ai-at-work.yaml")]) == 0
    assert main(["import", project, *files]) == 0

    server.kill_on = 4
    server.process = first = suggest(project, server)
    first.wait(timeout=120)
    assert first.returncode == -signal.SIGKILL
    asked_first = server.passages_asked[:3]
    assert len(server.passages_asked) == 4 and all(len(ids) == 2 for ids in asked_first)

    with Project.open(project) as opened, opened.reading() as conn:
        done = set(conn.execute(select(schema.suggestion_runs.c.passage_id)).scalars())
        kept = conn.execute(select(schema.suggestions.c.passage_id)).scalars().all()
        paid = conn.execute(select(schema.llm_requests)).mappings().all()
    answered = {int(pid) for ids in asked_first for pid in ids}
    assert done == answered and set(kept) == answered and len(paid) == 3

    server.kill_on = None
    resumed = suggest(project, server, "--resume")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    asked_again = {int(pid) for ids in server.passages_asked[4:] for pid in ids}
    assert len(server.passages_asked) == 4 + 3 and not asked_again & answered
    report = json.loads(out)
    assert report["suggestions"] == 6 and report["skipped_cached"] == 6 and report["not_done"] == 0
