"""``--max-cost`` kept while requests run concurrently.

A cap checked against what has been spent alone would let every request in flight through at
once. So each request reserves its estimated cost before it is sent and releases the
reservation when its reply is read, when what the API reports it cost is spent instead. Kept
apart from the engine, which only asks, so the rule can be read and tested without an API.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Budget:
    spent_usd: float = 0.0  # what the requests cost, as the API reported them
    reserved_usd: float = 0.0  # the estimates of the requests in flight

    @property
    def warm(self) -> bool:
        """Whether a request was sent or is in flight: the first one writes the cached prompt
        prefix, so the estimates after it read the prefix from the cache."""
        return self.spent_usd + self.reserved_usd > 0

    def reserve(self, estimate_usd: float, cap_usd: float | None) -> bool:
        """Reserve ``estimate_usd`` if it fits under ``cap_usd`` (None: no cap) with what is
        spent and reserved; False, and nothing reserved, if it would not."""
        if cap_usd is not None and self.spent_usd + self.reserved_usd + estimate_usd > cap_usd:
            return False
        self.reserved_usd += estimate_usd
        return True

    def release(self, estimate_usd: float) -> None:
        """A reserved request is over (answered or failed): its estimate no longer counts."""
        self.reserved_usd -= estimate_usd

    def spend(self, usd: float) -> None:
        self.spent_usd += usd
