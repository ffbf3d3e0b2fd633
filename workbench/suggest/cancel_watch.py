"""Awaiting a run's requests while a CancelToken, set from another thread, can stop them.

The suggester and the translator both send many requests at once from an asyncio loop on a
worker thread; the GUI's Cancel sets a thread-safe token that the loop cannot wait on, so a
watcher polls it and cancels the requests still running. One helper keeps the two the same."""

from __future__ import annotations

import asyncio

from workbench.core.tasks import Cancelled, CancelToken

POLL_S = 0.05  # how soon a set token stops the requests in flight


async def gather_cancellable(
    tasks: list[asyncio.Task[None]], cancel: CancelToken | None
) -> list[BaseException]:
    """Await every task and hand back what failed (a task's own error, never a cancellation).

    With ``cancel`` set while they run, the tasks still running are cancelled and ``Cancelled``
    is raised once all have ended, so the caller's ``finally`` (closing its client) still runs
    after the last request is gone."""
    watcher = asyncio.create_task(_watch(cancel, tasks)) if cancel is not None else None
    try:
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        if watcher is not None:
            watcher.cancel()
    if cancel is not None and cancel.cancelled:
        raise Cancelled()
    return [
        outcome
        for outcome in outcomes
        if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError)
    ]


async def _watch(cancel: CancelToken, tasks: list[asyncio.Task[None]]) -> None:
    while not cancel.cancelled:
        await asyncio.sleep(POLL_S)
    for task in tasks:
        task.cancel()
