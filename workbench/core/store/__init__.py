"""The project store: one database per project (SQLite file or SQLAlchemy URL)."""

from workbench.core.store.project import Project, ProjectSettings

__all__ = ["Project", "ProjectSettings"]
