"""The project store: one database per project (SQLite file or SQLAlchemy URL).

``Connection`` is re-exported so modules outside the store can name the type of the connection
a ``Project`` hands them without importing SQLAlchemy (only the store speaks SQL), and
``DatabaseError`` so that the command line can report a database's refusal in one line.
"""

from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError as DatabaseError  # any refusal by the database

from workbench.core.store.project import Project, ProjectSettings

__all__ = ["Connection", "DatabaseError", "Project", "ProjectSettings"]
