"""HTTP transport for OpenAlex: one global rate limit, retries, budget, and a key kept secret.

pyalex builds the queries (filters, select, group_by), but it hard-codes the host, retries nothing
by default and mounts its retry adapter for https only, so requests go through this client. The
retry loop is written here rather than with urllib3's Retry because it must tell the two kinds of
429 apart ("too fast": wait Retry-After; "budget spent": stop cleanly with a reset time), retry
bodies that are truncated or not JSON, and count every billable call against `--max-calls`.

The key travels only as the `api_key` query parameter added at send time; every URL or message
that leaves this module is passed through `redact`.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from coauthor.errors import ApiError, BudgetExhausted, CallLimitReached, ConfigError

log = logging.getLogger("coauthor")

#: A 429 whose Retry-After is longer than this means the daily budget is spent, not "too fast".
BUDGET_RETRY_AFTER_S = 300
RETRYABLE_STATUS = {500, 502, 503, 504, 520, 522, 524}


_KEY_PARAM = re.compile(r"(api_key=)[^&\s'\"]+")
_EMITTERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry")


def redact(text: str, secret: str | None) -> str:
    """Remove a key from any text: every api_key= value, and the secret itself anywhere."""
    text = _KEY_PARAM.sub(r"\1***", text)
    return text.replace(secret, "***") if secret else text


class RedactKey(logging.Filter):
    """Strip the key from records of the loggers that print request URLs (urllib3 at DEBUG).

    A filter on a logger applies only to records created on that very logger, so it is added to
    each logger urllib3 emits from, before any handler (pytest's, Prefect's, ours) sees them.
    """

    def __init__(self, secret: str | None) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = redact(text, self.secret)
        if clean != text:
            record.msg, record.args = clean, ()
        return True


def install_redaction(secret: str | None) -> None:
    for name in _EMITTERS:
        logger = logging.getLogger(name)
        for old in [f for f in logger.filters if isinstance(f, RedactKey)]:
            logger.removeFilter(old)
        logger.addFilter(RedactKey(secret))


class Stopped(Exception):
    """Another thread hit a stop condition (budget, --max-calls); this one stops quietly."""


class RateLimiter:
    """A token bucket shared by all threads: at most `rps` requests per second."""

    def __init__(self, rps: float, burst: float | None = None) -> None:
        self.rps = rps
        self.capacity = burst if burst is not None else 1.0  # no bursts: even pacing keeps
        # any one-second window under the server's cap despite jitter; a burst only buys 429s
        self.tokens = self.capacity
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rps)
                self.updated = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return
                wait = (1 - self.tokens) / self.rps
            time.sleep(wait)

    def pause(self, seconds: float) -> None:
        """Everyone waits after a "too fast" 429, not just the thread that got it."""
        with self.lock:
            self.tokens = min(self.tokens, 0.0) - seconds * self.rps


@dataclass
class BudgetState:
    """What OpenAlex last said about the daily budget, and what this run spent."""

    limit: float | None = None
    remaining: float | None = None
    reset_seconds: float | None = None
    calls: int = 0
    retries: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    observed_at: float = 0.0

    def resets_at(self) -> str | None:
        if self.reset_seconds is None:
            return None
        at = datetime.now(UTC) + timedelta(seconds=self.reset_seconds)
        return at.isoformat(timespec="seconds")


class OpenAlexClient:
    """GET JSON from OpenAlex with retries; thread-safe; counts calls and reads the budget."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        rps: float = 10.0,
        max_calls: int | None = None,
        max_retries: int = 8,
        timeout: tuple[float, float] = (10.0, 60.0),
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"COAUTHOR_OPENALEX_URL={base_url!r} is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        install_redaction(api_key)
        self.limiter = RateLimiter(rps)
        self.max_calls = max_calls
        self.max_retries = max_retries
        self.timeout = timeout
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.budget = BudgetState()
        self._lock = threading.Lock()
        self._local = threading.local()
        self.stop_event = threading.Event()

    # -- secrets ------------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        """Remove the key from any text (URLs, exception messages)."""
        return redact(text, self._key)

    # -- transport ----------------------------------------------------------------------------
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.headers["User-Agent"] = "coauthor (https://github.com/coauthor)"
            self._local.session = session
        return session

    def _count_call(self) -> None:
        with self._lock:
            if self.max_calls is not None and self.budget.calls >= self.max_calls:
                self.stop_event.set()
                raise CallLimitReached(
                    f"stopped at --max-calls {self.max_calls}; progress is checkpointed, run the "
                    "same command again to continue"
                )
            self.budget.calls += 1

    def _fault(self, kind: str) -> None:
        with self._lock:
            self.budget.faults[kind] = self.budget.faults.get(kind, 0) + 1
            self.budget.retries += 1

    def _read_budget(self, response: requests.Response) -> None:
        h = response.headers

        def num(name: str) -> float | None:
            try:
                return float(h[name])
            except (KeyError, ValueError):
                return None

        with self._lock:
            limit, remaining, reset = (
                num("X-RateLimit-Limit"),
                num("X-RateLimit-Remaining"),
                num("X-RateLimit-Reset"),
            )
            if limit is not None:
                self.budget.limit = limit
            if remaining is not None:
                self.budget.remaining = remaining
            if reset is not None:
                self.budget.reset_seconds = reset
            self.budget.observed_at = time.time()

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        return random.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET base_url/path?params and return the decoded JSON body, retrying what is transient."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        send = dict(params)
        if self._key:
            send["api_key"] = self._key
        shown = self.redact(requests.Request("GET", url, params=params).prepare().url or url)
        attempt = 0
        while True:
            if self.stop_event.is_set():
                raise Stopped()
            self.limiter.acquire()
            self._count_call()
            log.debug("GET %s (attempt %d)", shown, attempt + 1)
            kind, wait = None, None
            try:
                response = self._session().get(url, params=send, timeout=self.timeout)
            except requests.Timeout:
                kind = "timeout"
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ):
                kind = "truncated"
            except requests.ConnectionError:
                kind = "connection"
            except requests.RequestException as exc:
                raise ApiError(f"GET {shown} failed: {self.redact(str(exc))}") from None
            else:
                self._read_budget(response)
                status = response.status_code
                if status == 200:
                    try:
                        return json.loads(response.content)
                    except ValueError:
                        kind = "invalid_json"
                elif status == 429:
                    wait = self._on_429(response, shown)
                    kind = "429"
                elif status in RETRYABLE_STATUS:
                    kind = str(status)
                elif status == 403 and _is_rate_limit(response):
                    wait = self._on_too_fast_403(response)
                    kind = "403"
                elif status == 401 or status == 403:
                    raise ApiError(
                        f"OpenAlex refused the request ({status}): {_message(response)}. "
                        "Check COAUTHOR_OPENALEX_API_KEY."
                    )
                else:
                    raise ApiError(
                        f"GET {shown} answered {status}: {self.redact(_message(response))}"
                    )
            self._fault(kind)
            if attempt >= self.max_retries:
                raise ApiError(
                    f"GET {shown} failed {attempt + 1} times (last: {kind}); progress is "
                    "checkpointed, run the command again later"
                )
            delay = wait if wait is not None else self._backoff(attempt)
            log.info("retrying after %s in %.1fs: %s", kind, delay, shown)
            self.sleep(delay)
            attempt += 1

    def _on_429(self, response: requests.Response, shown: str) -> float:
        """Return the wait for "too fast"; raise BudgetExhausted for "budget spent"."""
        retry_after = _retry_after(response)
        text = _message(response).lower()
        remaining = self.budget.remaining
        spent = (
            retry_after > BUDGET_RETRY_AFTER_S
            or (remaining is not None and remaining <= 0)
            or any(w in text for w in ("budget", "daily", "credits", "exhausted"))
        )
        if spent:
            self.stop_event.set()
            reset = self.budget.reset_seconds or retry_after
            at = (datetime.now(UTC) + timedelta(seconds=reset)).isoformat(timespec="seconds")
            raise BudgetExhausted(
                f"the OpenAlex daily budget is spent (calls this run: {self.budget.calls}); it "
                f"resets at {at}. Progress is checkpointed: run the same command after that.",
                resets_at=at,
            )
        return self._too_fast_wait(retry_after)

    def _on_too_fast_403(self, response: requests.Response) -> float:
        """A "slow down" 403 is a short wait like a "too fast" 429, never a key problem."""
        return self._too_fast_wait(min(_retry_after(response), BUDGET_RETRY_AFTER_S))

    @staticmethod
    def _too_fast_wait(retry_after: float) -> float:
        # Only this thread waits: the shared limiter already keeps all threads at the rate, so a
        # short 429 comes from timing jitter, and pausing everyone would waste the whole second.
        return retry_after + random.uniform(0, 0.25 * max(retry_after, 0.1))


def _retry_after(response: requests.Response) -> float:
    try:
        return float(response.headers.get("Retry-After", "1"))
    except ValueError:
        return 1.0


def _is_rate_limit(response: requests.Response) -> bool:
    """A 403 that says "slow down": OpenAlex's newer error table gives 403 for "too fast"."""
    text = _message(response).lower()
    return any(w in text for w in ("rate limit", "slow down", "too many requests"))


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
        return str(body.get("message") or body.get("error") or body)[:500]
    except ValueError:
        return response.text[:200]


def query_params(pyalex_query: Any) -> tuple[str, dict[str, str]]:
    """Path and parameters of a pyalex query, without pyalex's hard-coded host."""
    parts = urlsplit(pyalex_query.url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    if "group-by" in params:
        params["group_by"] = params.pop("group-by")
    return parts.path, params
