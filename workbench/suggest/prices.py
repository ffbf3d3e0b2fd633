"""One price table for every cost figure the workbench shows (USD per million tokens).

Prompt-cache writes cost 1.25x the input price and cache reads 0.1x (five-minute cache); the
Message Batches API halves every price. Update this table when prices change; nothing else
holds a price.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.errors import WorkbenchError

# model -> (input, output) in USD per million tokens. Only prices we could check are listed: a
# model missing here is refused with a message, never given a guessed price.
PRICES: dict[str, tuple[float, float]] = {
    "claude-opus-4-5": (5.00, 25.00),
    "claude-sonnet-4-5": (3.00, 15.00),  # end of life 2026-11-30 (the SDK warns)
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-sonnet-4-0": (3.00, 15.00),
    "claude-3-5-haiku-latest": (0.80, 4.00),
}
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.10
BATCH_FACTOR = 0.50
DEFAULT_MODEL = "claude-opus-4-5"


@dataclass(frozen=True)
class Usage:
    """Tokens of one request, as the API reports them."""

    input_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            self.cache_read_input_tokens + other.cache_read_input_tokens,
            self.output_tokens + other.output_tokens,
        )


def price_of(model: str) -> tuple[float, float]:
    for name, price in PRICES.items():
        if model == name or model.startswith(name + "-"):  # dated snapshots share the price
            return price
    raise WorkbenchError(
        f"no price known for model '{model}': add it to PRICES in workbench/suggest/prices.py "
        f"(known: {', '.join(PRICES)})"
    )


def cost(model: str, usage: Usage, batch: bool = False) -> float:
    """Money for ``usage`` on ``model`` in USD."""
    input_price, output_price = price_of(model)
    dollars = (
        usage.input_tokens * input_price
        + usage.cache_creation_input_tokens * input_price * CACHE_WRITE_FACTOR
        + usage.cache_read_input_tokens * input_price * CACHE_READ_FACTOR
        + usage.output_tokens * output_price
    ) / 1_000_000
    return dollars * (BATCH_FACTOR if batch else 1.0)


def estimate_tokens(text: str) -> int:
    """A conservative offline estimate (about 3.5 characters a token for English prose; scripts
    without spaces use more tokens per character, so they count one per two characters)."""
    wide = sum(1 for ch in text if ord(ch) > 0x2E80)
    return int((len(text) - wide) / 3.5 + wide / 2) + 1
