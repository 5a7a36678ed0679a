"""How long the current Lambda invocation has left, for code that waits far from the handler.

Lambda ends an invocation at its function's Timeout, whatever it is doing; the context object's
``get_remaining_time_in_millis()`` counts down to that moment
(https://docs.aws.amazon.com/lambda/latest/dg/python-context.html: "Returns the number of
milliseconds left before the execution times out"). A wait deep in the storage layer (the Data API
executor waiting out a resuming cluster) must end before it, or the function never answers: the API
caller gets API Gateway's 5xx instead of a 503, a step's failure path records nothing.

Handing the context down through every layer would tie domain code to Lambda, and reading it from
the environment is not possible, so the handler wrapper (``mediascribe.observability``) lends the
context's countdown to the invocation once, as a context variable (``invocation_budget``), and
``remaining_seconds`` reads it. A context variable is per invocation, also where one process serves
several invocations on threads (the local runner). Outside an invocation (the CLI, local tools,
threads started without the invocation's context) there is no bound: ``remaining_seconds`` is None.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager

RemainingMillis = Callable[[], int]

_remaining: contextvars.ContextVar[RemainingMillis | None] = contextvars.ContextVar(
    "invocation_remaining_millis", default=None
)


@contextmanager
def invocation_budget(remaining_millis: RemainingMillis) -> Iterator[None]:
    """Run the invocation's body with ``remaining_millis`` (the context's countdown) as its budget."""
    token = _remaining.set(remaining_millis)
    try:
        yield
    finally:
        _remaining.reset(token)


def remaining_seconds() -> float | None:
    """Seconds until the current invocation times out, or None outside an invocation."""
    remaining = _remaining.get()
    return None if remaining is None else remaining() / 1000
