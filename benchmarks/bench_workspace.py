"""Workspace at scale: open an 81,000-transcript project and scroll a 2,000-passage transcript.

Run on demand (building the project takes a few minutes; it is kept for later runs):

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_workspace.py \\
        --project /tmp/scale.wb --transcripts 81000

Reports: passages in the project, seconds from opening the project to the first transcript
painted (window built, navigator page, passages loaded and drawn), and per-frame paint times
while scrolling the long transcript a screen at a time (median, 95th percentile, worst).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]


def build(project_path: Path, transcripts: int) -> None:
    from workbench.core.codebook import load_codebook
    from workbench.core.ingest import import_files
    from workbench.core.store import Project
    from workbench.testing.synthetic import generate_transcript, write_corpus_csv

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.csv"
        write_corpus_csv(corpus, transcripts, target_chars=6000)
        long_one = generate_transcript(10**7, target_chars=640_000)
        long_path = Path(tmp) / "syn_long.txt"
        long_path.write_text(long_one.text, encoding="utf-8")
        codebook = load_codebook(REPO / "codebooks" / "ai-at-work.yaml")
        with Project.create(project_path, codebook=codebook) as project:
            started = time.perf_counter()
            outcome = import_files(project, [long_path, corpus])
            print(
                f"built in {time.perf_counter() - started:.1f} s: {outcome.to_dict()['passages']} passages"
            )


class NoEngine:
    """Suggestions are not what is measured here."""

    name, model, prompt_version, rater = "none", "none", "none", "none"
    sends_text = learns = False

    def suggest(self, passages, codebook, progress=None, cancel=None):  # type: ignore[no-untyped-def]
        return []


def measure(project_path: Path) -> dict[str, object]:
    from PySide6.QtWidgets import QApplication

    from workbench.core.session import CodingSession
    from workbench.core.store import Project
    from workbench.gui.main_window import MainWindow
    from workbench.gui.theme import apply_theme

    app = QApplication.instance() or QApplication([])
    apply_theme(app)  # type: ignore[arg-type]
    started = time.perf_counter()
    project = Project.open(project_path)
    window = MainWindow(CodingSession(project, "bench"), NoEngine())
    window.resize(1400, 900)
    window.show()
    window.open_first_transcript()
    window.passage_view.list.viewport().repaint()
    app.processEvents()
    first_paint = time.perf_counter() - started
    status = project.status()

    window.open_first_transcript("syn_long")
    view = window.passage_view.list
    # The app lays long transcripts out in batches (the window stays responsive meanwhile);
    # here the whole layout is forced in one pass to time its full cost.
    from PySide6.QtWidgets import QListView

    view.setLayoutMode(QListView.LayoutMode.SinglePass)
    opened = time.perf_counter()
    view.doItemsLayout()
    layout_seconds = time.perf_counter() - opened
    app.processEvents()
    bar = view.verticalScrollBar()
    laid_out = bar.maximum() + view.viewport().height()
    frames = []
    step = max(1, view.viewport().height() - 40)
    value = 0
    while value <= bar.maximum():
        began = time.perf_counter()
        bar.setValue(value)
        view.viewport().repaint()
        frames.append((time.perf_counter() - began) * 1000)
        value += step
    project.close()
    frames.sort()
    return {
        "transcripts": status["transcripts"],
        "passages": status["passages"],
        "open_to_first_transcript_s": round(first_paint, 3),
        "long_transcript_passages": window.passage_model.rowCount(),
        "long_transcript_layout_s": round(layout_seconds, 3),
        "long_transcript_height_px": int(laid_out),
        "scroll_frames": len(frames),
        "scroll_frame_ms_median": round(statistics.median(frames), 2),
        "scroll_frame_ms_p95": round(frames[int(len(frames) * 0.95) - 1], 2),
        "scroll_frame_ms_max": round(frames[-1], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, default=Path(tempfile.gettempdir()) / "workbench-scale.wb"
    )
    parser.add_argument("--transcripts", type=int, default=81_000)
    args = parser.parse_args()
    if not args.project.exists():
        build(args.project, args.transcripts)
    print(json.dumps(measure(args.project), indent=2))


if __name__ == "__main__":
    main()
