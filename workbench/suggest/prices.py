"""One price table for every cost figure the workbench shows (USD per million tokens).

Prompt-cache writes cost 1.25x the input price and cache reads 0.1x (five-minute cache); the
Message Batches API halves every price. Update this table when prices change; nothing else
holds a price.
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.errors import WorkbenchError

_MODELS_PAGE = "https://platform.claude.com/docs/en/models"


@dataclass(frozen=True)
class Price:
    """USD per million input and output tokens, and where and when that was read."""

    input: float
    output: float
    source: str
    checked: str  # the date the source was read (YYYY-MM-DD)


# model -> its price. Only prices we could check are listed: a model missing here runs only with
# --price IN,OUT, never with a guessed price.
PRICES: dict[str, Price] = {
    "claude-opus-5-5": Price(4.00, 20.00, _MODELS_PAGE, "2026-11-30"),
    "claude-sonnet-5-5": Price(2.00, 10.00, _MODELS_PAGE, "2026-11-30"),
    "claude-sonnet-5": Price(2.00, 10.00, _MODELS_PAGE, "2026-11-30"),
    "claude-sonnet-4-6": Price(
        3.00, 15.00, "https://platform.claude.com/docs/en/models/sonnet-4-6/overview", "2026-11-30"
    ),
    "claude-haiku-4-5": Price(1.00, 5.00, _MODELS_PAGE, "2026-11-30"),
    # deprecated by the SDK (it warns); kept so that spend already stored can still be priced
    "claude-opus-4-5": Price(5.00, 25.00, "https://www.anthropic.com/pricing#api", "2025-11-24"),
    "claude-sonnet-4-5": Price(3.00, 15.00, "https://www.anthropic.com/pricing#api", "2025-11-24"),
}
# Prices given on the command line (--price) for models the table does not list, this run only.
_GIVEN: dict[str, Price] = {}
CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.10
BATCH_FACTOR = 0.50
DEFAULT_MODEL = "claude-opus-5-5"  # not deprecated by the installed SDK (a test checks)


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


def preferred_model(asked: str | None = None) -> str:
    """The model a run uses: ``--model`` when given, else the user's ``claude_model`` setting
    (chosen in the app, Suggestions ▸ Claude model…), else the default."""
    if asked:
        return asked
    from workbench.settings import load_settings

    chosen = load_settings().get("claude_model")
    return chosen if isinstance(chosen, str) and chosen.strip() else DEFAULT_MODEL


def give_price(model: str, text: str) -> Price:
    """Accept ``--price IN,OUT`` (USD per million input and output tokens) for ``model``."""
    try:
        parts = [float(part) for part in text.split(",")]
        if len(parts) != 2 or any(not (0 <= part < 10_000) for part in parts):
            raise ValueError
    except ValueError:
        raise WorkbenchError(
            f"--price: '{text}' is not IN,OUT (USD per million input and output tokens, e.g. 3,15)"
        ) from None
    price = Price(parts[0], parts[1], "--price on the command line", "")
    _GIVEN[model] = price
    return price


def price_entry(model: str) -> Price:
    """The price of ``model`` (a dated snapshot shares its alias's); refused when unknown."""
    if model in _GIVEN:
        return _GIVEN[model]
    for name, price in PRICES.items():
        if model == name or model.startswith(name + "-"):  # dated snapshots share the price
            return price
    raise WorkbenchError(
        f"no price known for model '{model}': give one with --price IN,OUT (USD per million "
        f"input and output tokens), or add it to PRICES in workbench/suggest/prices.py "
        f"(known: {', '.join(PRICES)})"
    )


def price_of(model: str) -> tuple[float, float]:
    price = price_entry(model)
    return price.input, price.output


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


# The shortest prefix each model will cache, in tokens: a cache_control breakpoint on a shorter
# prefix is silently ignored and every request pays the full input price. Only minimums we could
# read are listed; the dry run says "unknown" for others rather than guess.
_CACHE_READ = (
    "https://docs.litellm.ai/docs/completion/prompt_caching (quoting Anthropic's table, "
    "updated 2026-10-07)"
)


@dataclass(frozen=True)
class CacheMinimum:
    tokens: int
    source: str
    checked: str


MIN_CACHEABLE: dict[str, CacheMinimum] = {
    "claude-sonnet-5": CacheMinimum(1024, _CACHE_READ, "2026-11-30"),
    "claude-sonnet-4-5": CacheMinimum(1024, _CACHE_READ, "2026-11-30"),
    # one table says 2,048 for Sonnet 4.6, another "Sonnet 4.x" 1,024: the stricter is kept
    "claude-sonnet-4-6": CacheMinimum(
        2048, "https://docs.orq.ai/docs/proxy/prompt-caching", "2026-11-30"
    ),
    "claude-haiku-4-5": CacheMinimum(4096, _CACHE_READ, "2026-11-30"),
    "claude-opus-4-5": CacheMinimum(4096, _CACHE_READ, "2026-11-30"),
}


def min_cacheable(model: str) -> CacheMinimum | None:
    """The model's documented minimum cacheable prefix (a dated snapshot shares its alias's;
    ``claude-sonnet-5-5`` is another model than ``claude-sonnet-5``, not its snapshot)."""
    for name, entry in MIN_CACHEABLE.items():
        suffix = model[len(name) + 1 :] if model.startswith(name + "-") else ""
        if model == name or (suffix.isdigit() and len(suffix) == 8):  # -YYYYMMDD
            return entry
    return None
