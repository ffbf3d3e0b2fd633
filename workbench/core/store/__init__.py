"""The project store: one database per project (SQLite file or SQLAlchemy URL).

``Connection`` is re-exported so modules outside the store can name the type of the connection
a ``Project`` hands them without importing SQLAlchemy (only the store speaks SQL).
"""

from sqlalchemy import Connection

from workbench.core.store.project import Project, ProjectSettings

__all__ = ["Connection", "Project", "ProjectSettings"]
