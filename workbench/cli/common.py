"""What every command group shares: exit codes, the parser helper, and the lead check."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from workbench.core.store import Project

# SQLAlchemy, the store and the codebook are imported by the commands that use them: start-up
# time is most of a short command's run, e.g. ``agreement`` over a ratings CSV.

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what `yes | head -1` reports for `yes`

Handler = Callable[[argparse.Namespace], int]


def add_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Handler,
    help_text: str,
) -> argparse.ArgumentParser:
    """One subcommand whose ``--help`` repeats its one-line summary, bound to its handler."""
    sub = commands.add_parser(name, help=help_text, description=help_text)
    sub.set_defaults(handler=handler)
    return sub


def getpass_user() -> str:
    """The login name, for the audit log's "who" when no --lead is given."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no such user entry (containers) or no environment to ask
        return "workbench"


def require_lead(project: Project, name: str, action: str, option: str = "--lead") -> None:
    """Refuse before a lead-only change, naming who tried and what, and the option that names
    who acts (imported late: the roles module is not needed by commands that change nothing)."""
    from workbench.core.roles import require_lead as check

    check(project.settings.extra, name, action, option)


def comma_list(value: str) -> list[str]:
    """``a, b,,c`` as given on the command line: the names, blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


def coder_name(value: str) -> str:
    """An argparse type for a person's name (``--as``): blank is no one, refused at parse time
    rather than looked up as a coder called ''."""
    if not value.strip():
        raise argparse.ArgumentTypeError("a coder's name, not blank")
    return value


def positive_int(value: str) -> int:
    """An argparse type for counts where 0 or less means nothing sensible (a sample of 0
    passages, 0 resamples): refused at parse time, so the error names the option."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return number


def non_negative_float(value: str) -> float:
    """An argparse type for amounts such as a cost cap, where a negative one would refuse
    every run without saying why."""
    number = float(value)
    if not number >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return number


def open_fraction(value: str) -> float:
    """An argparse type for a proportion strictly between 0 and 1 (an interval width, an
    expected agreement): 0 or 1 make the sample-size formula divide by zero or mean nothing."""
    number = float(value)
    if not 0 < number < 1:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, not {value}")
    return number


def unit_interval(value: str) -> float:
    """An argparse type for a similarity threshold from 0 to 1 (a cosine of TF-IDF vectors
    never leaves that range, so 5 would silently report nothing and -1 everything)."""
    number = float(value)
    if not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"must lie between 0 and 1, not {value}")
    return number
