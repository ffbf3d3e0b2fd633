"""``workbench translate`` killed with SIGKILL mid-run: each chunk's translations are stored with
the request that paid for them, all or nothing, and a re-run sends only what is not stored.

The CLI runs in a subprocess against a loopback fake of the Messages API (as in
``test_claude_kill``); the fake answers each chunk with "EN: " + its passages and kills the
client on a chosen request, or a seeded moment after answering one (while the client stores it;
the next request is then held unanswered, so the kill always lands within the run).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.conftest import REPO, write
from tests.test_translation import GERMAN, PASSAGE, message, translated
from workbench.cli import main
from workbench.core.store import Project, schema


class FakeServer(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.asked: list[list[int]] = []
        self.lock = threading.Lock()
        self.process: subprocess.Popen[str] | None = None
        self.kill_on: int | None = None  # killed instead of answered
        self.kill_after: tuple[int, float] | None = None  # answered, then killed this late


class Handler(BaseHTTPRequestHandler):
    server: FakeServer

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if self.path.startswith("/v1/messages/count_tokens"):
            self._send({"input_tokens": 500})
            return
        with self.server.lock:
            self.server.asked.append(
                [int(pid) for pid, _ in PASSAGE.findall(body["messages"][0]["content"])]
            )
            number = len(self.server.asked)
        process = self.server.process
        late = self.server.kill_after
        if late is not None and number > late[0] and process is not None:
            process.wait()  # held unanswered: the kill lands before this chunk, after the last
            return
        if number == self.server.kill_on and process is not None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return
        self._send(message(translated(body)))
        if self.server.kill_after and self.server.kill_after[0] == number and process:
            threading.Timer(
                self.server.kill_after[1], process.send_signal, [signal.SIGKILL]
            ).start()


@pytest.fixture
def server():
    fake = FakeServer()
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    yield fake
    fake.shutdown()
    fake.server_close()


def translate(project: str, server: FakeServer) -> subprocess.Popen[str]:
    env = {
        k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "ANTHROPIC_API_KEY"
    }
    env.update(
        PYTHONPATH=str(REPO),
        ANTHROPIC_API_KEY="sk-test-not-a-real-key",
        ANTHROPIC_BASE_URL=f"http://127.0.0.1:{server.server_address[1]}",
        PYTHONWARNINGS="ignore",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "workbench", "translate", project, "--to", "en"]
        + ["--concurrency", "1", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    server.process = process
    return process


@pytest.fixture
def study(tmp_path) -> str:
    """Six German interviews, one chunk each."""
    project = str(tmp_path / "study.wb")
    assert main(["new", project]) == 0
    files = [
        str(write(tmp_path / f"de{n}.txt", GERMAN + f"Interviewer: Nummer {n}?\n\n"))
        for n in range(6)
    ]
    assert main(["import", project, *files]) == 0
    return project


def stored(project: str) -> tuple[dict[int, str], int]:
    """``({passage id: translation}, requests recorded as paid)``."""
    with Project.open(project) as opened, opened.reading() as conn:
        table = schema.passage_translations
        texts = dict(conn.execute(select(table.c.passage_id, table.c.text)).all())
        paid = conn.execute(select(schema.llm_requests.c.id)).all()
    return texts, len(paid)


def _check_whole_chunks(server: FakeServer, texts: dict[int, str], paid: int) -> set[int]:
    """Every chunk asked is stored whole or not at all, and one paid request per stored chunk;
    the passages stored."""
    stored_chunks = 0
    for chunk in server.asked:
        held = [pid in texts for pid in chunk]
        assert all(held) or not any(held), f"chunk {chunk} stored in part"
        stored_chunks += all(held)
    assert paid == stored_chunks
    assert all(text.startswith("EN: ") for text in texts.values())
    return set(texts)


@pytest.mark.parametrize("kill", ["on request 3", "after answer 2", "after answer 4"])
def test_a_killed_translation_keeps_whole_chunks_and_a_rerun_pays_only_for_the_rest(
    study, server, kill
):
    seed = random.Random(f"translate {kill}")
    if kill == "on request 3":
        server.kill_on = 3
    else:
        server.kill_after = (int(kill.split()[-1]), seed.uniform(0.0, 0.05))
    first = translate(study, server)
    first.communicate(timeout=60)
    assert first.returncode == -signal.SIGKILL
    asked_first = len(server.asked)
    texts, paid = stored(study)
    before = _check_whole_chunks(server, texts, paid)
    assert len(before) > 0
    assert main(["verify", study]) == 0

    server.kill_on = server.kill_after = None
    again = translate(study, server)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    resent = {pid for chunk in server.asked[asked_first:] for pid in chunk}
    assert not resent & before  # nothing stored is paid for twice
    texts, paid_after = stored(study)
    assert len(texts) == json.loads(out).get("translated", 0) + len(before)
    with Project.open(study) as opened, opened.reading() as conn:
        every = conn.execute(select(schema.passages.c.id)).scalars().all()
    assert set(texts) == set(every)  # the re-run finished the job
    assert paid_after == paid + len(server.asked) - asked_first
