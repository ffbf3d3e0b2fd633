"""Reaching the Anthropic API: the key, the client (retries and timeouts), and what a failure
to reach it means in words.

The SDK retries 429, 529 and 5xx with backoff and honours ``retry-after``; every request has an
explicit timeout. A failure is turned into one line that says what to try.
"""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Callable

import httpx2
from anthropic import APIConnectionError, APIError, APITimeoutError, AsyncAnthropic

from workbench.core.errors import WorkbenchError
from workbench.settings import load_settings


class SuggestionError(WorkbenchError):
    """The engine could not produce suggestions (no key, every request failed, ...)."""


def api_key() -> str | None:
    """The key from ANTHROPIC_API_KEY, else the per-user settings file (never the project)."""
    key = os.environ.get("ANTHROPIC_API_KEY") or load_settings().get("anthropic_api_key")
    return key if isinstance(key, str) and key.strip() else None


def make_client(
    key: str | None,
    max_retries: int,
    timeout_s: float,
    http_client_factory: Callable[[], httpx2.AsyncClient] | None = None,
) -> AsyncAnthropic:
    """An async client with the run's retries and timeout; no key at all is a SuggestionError."""
    key = key or api_key()
    if not key:
        raise SuggestionError(
            "no Anthropic API key: set ANTHROPIC_API_KEY (or anthropic_api_key in the workbench "
            "settings file), or use the local engine"
        )
    return AsyncAnthropic(
        api_key=key,
        max_retries=max_retries,
        timeout=httpx2.Timeout(timeout_s, connect=10.0),
        http_client=http_client_factory() if http_client_factory else None,
    )


def describe_api_error(exc: APIError) -> str:
    """An API error as a short line for the request record: the transport failure in words,
    else the error's class and HTTP status."""
    if isinstance(exc, APIConnectionError):
        return connection_problem(exc)
    status = getattr(exc, "status_code", None)
    name = exc.__class__.__name__
    return f"{name} (HTTP {status})" if status else name


def connection_problem(exc: BaseException) -> str:
    """What failed when the API could not be reached, in words, and what to try.

    The SDK wraps every transport failure in one APIConnectionError; the cause underneath says
    whether it was the proxy, the name lookup, the certificate or the network itself.
    """
    if isinstance(exc, APITimeoutError):
        return (
            "the request to the Anthropic API timed out: the network may be slow or the request "
            "too large; try again, or lower --concurrency"
        )
    causes: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(causes) < 10:
        causes.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(str(c) for c in causes).lower()
    kinds = tuple(type(c) for c in causes)
    base = os.environ.get("ANTHROPIC_BASE_URL") or "api.anthropic.com"
    if any(issubclass(k, httpx2.ProxyError) for k in kinds) or "proxy" in text:
        return (
            "could not connect through the proxy: check HTTPS_PROXY / HTTP_PROXY (or unset them), "
            "and that the proxy allows api.anthropic.com"
        )
    if any(issubclass(k, ssl.SSLError) for k in kinds) or any(
        word in text for word in ("certificate", "ssl", "tls")
    ):
        return (
            "the TLS connection failed (certificate not trusted or intercepted): a company proxy "
            "may inspect traffic; set SSL_CERT_FILE to its certificate bundle, or check the clock"
        )
    if any(issubclass(k, socket.gaierror) for k in kinds) or any(
        word in text
        for word in (
            "name or service not known",
            "name resolution",
            "nodename nor servname",
            "getaddrinfo",
            "no address associated",
        )
    ):
        return (
            f"the name {base} could not be looked up (DNS): check the network connection and DNS "
            "settings, or ANTHROPIC_BASE_URL if you set it"
        )
    if any(word in text for word in ("refused", "unreachable", "no route", "network is down")):
        return (
            f"no network connection to {base} (connection refused or network unreachable): check "
            "that this computer is online, or use the local engine, which works offline"
        )
    return (
        f"could not connect to {base}: check the network connection, proxy settings "
        "(HTTPS_PROXY) and ANTHROPIC_BASE_URL, or use the local engine"
    )
