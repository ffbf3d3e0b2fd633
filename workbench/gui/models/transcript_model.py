"""The transcript navigator's model: pages of transcripts fetched from the store as the view scrolls."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from workbench.core.store import Project
from workbench.core.store.navigation import (
    TranscriptFilter,
    TranscriptRow,
    count_transcripts,
    queue_progress,
    transcript_page,
)

RowRole = Qt.ItemDataRole.UserRole + 1
ProgressRole = Qt.ItemDataRole.UserRole + 2

_Index = QModelIndex | QPersistentModelIndex


class TranscriptTableModel(QAbstractTableModel):
    """Rows are loaded a page at a time (``canFetchMore``/``fetchMore``): 81,000 transcripts open fast."""

    COLUMNS = ("Transcript", "Group", "Progress")
    PAGE = 200

    def __init__(
        self,
        project: Project,
        coder_id: int | None,
        parent=None,  # type: ignore[no-untyped-def]
        queue: tuple[str, ...] = (),
    ):
        super().__init__(parent)
        self._project = project
        self._coder_id = coder_id
        self._filter = TranscriptFilter(queue=queue)
        self._rows: list[TranscriptRow] = []
        self._total = 0
        self._reload()

    # -- filtering -------------------------------------------------------------------------------

    @property
    def filter(self) -> TranscriptFilter:
        return self._filter

    def set_filter(self, flt: TranscriptFilter) -> None:
        if flt != self._filter:
            self._filter = flt
            self._reload()

    def _reload(self) -> None:
        self.beginResetModel()
        with self._project.reading() as conn:
            self._total = count_transcripts(conn, self._filter, self._coder_id)
            self._rows = transcript_page(conn, self._filter, self._coder_id, 0, self.PAGE)
        self.endResetModel()

    @property
    def total(self) -> int:
        return self._total

    @property
    def queue(self) -> tuple[str, ...]:
        return self._filter.queue

    def set_queue(self, queue: tuple[str, ...]) -> None:
        """A lead changed the assignments while the app was open: list the new queue first."""
        if queue != self._filter.queue:
            self.set_filter(replace(self._filter, queue=queue))

    def queue_progress(self) -> tuple[int, int]:
        """(finished, assigned) transcripts of this coder's queue."""
        with self._project.reading() as conn:
            return queue_progress(conn, self._filter.queue, self._coder_id)

    def in_queue(self, external_id: str) -> bool:
        return external_id in self._filter.queue

    # -- lazy loading ------------------------------------------------------------------------------

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        with self._project.reading() as conn:
            page = transcript_page(conn, self._filter, self._coder_id, len(self._rows), self.PAGE)
        if not page:
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
        self._rows.extend(page)
        self.endInsertRows()

    # -- the model interface -----------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):  # type: ignore[no-untyped-def]
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):  # type: ignore[no-untyped-def]
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return (
                    f"▸ {row.external_id}"
                    if row.external_id in self._filter.queue
                    else row.external_id
                )
            if column == 1:
                return row.group or ""
            return f"{row.reviewed}/{row.coded_passages}"
        if role == Qt.ItemDataRole.ToolTipRole:
            language = f" · language {row.language}" if row.language else ""
            queued = " · in your queue" if row.external_id in self._filter.queue else ""
            return f"{row.external_id}{language}{queued}: {row.reviewed} of {row.coded_passages} passages reviewed by you"
        if role == RowRole:
            return row
        if role == ProgressRole:
            return (row.reviewed, row.coded_passages)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    # -- helpers for the window -----------------------------------------------------------------------

    def row_of(self, transcript_id: int) -> int | None:
        return next((i for i, row in enumerate(self._rows) if row.id == transcript_id), None)

    def find_external(self, external_id: str) -> int | None:
        return next((i for i, row in enumerate(self._rows) if row.external_id == external_id), None)

    def refresh_progress(self, transcript_id: int) -> None:
        """Re-read one transcript's progress after a decision (one row, not a reset)."""
        position = self.row_of(transcript_id)
        if position is None:
            return
        with self._project.reading() as conn:
            fresh = [
                r
                for r in transcript_page(conn, self._filter, self._coder_id, position, 1)
                if r.id == transcript_id
            ]
        if fresh:
            self._rows[position] = fresh[0]
            self.dataChanged.emit(
                self.index(position, 0), self.index(position, len(self.COLUMNS) - 1)
            )
