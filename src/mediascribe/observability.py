"""Logging, tracing and metrics shared by every Lambda handler, and the per-container setup they need.

The Powertools ``Logger`` is named after the service, ``mediascribe``, which makes it the parent of every
``mediascribe.*`` stdlib logger the domain code uses: their records propagate to it and come out as the
same JSON lines, carrying the job id as correlation id. Loggers of other libraries that register a root
logger later are given the same configuration on each invocation.
"""

from __future__ import annotations

import contextvars
import functools
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ValidationError

from mediascribe.config import Settings
from mediascribe.errors import InvalidEventError
from mediascribe.time_budget import invocation_budget
from mediascribe.workflow.contracts import JobStep
from mediascribe.workspace import remove_stale_workspaces

SERVICE = "mediascribe"

logger = Logger(service=SERVICE, stream=sys.stderr)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="Mediascribe", service=SERVICE)

EventT = TypeVar("EventT", bound=BaseModel)
# A Lambda event and response: JSON objects, typed only until the step's own model parses them.
RawEvent = dict[str, Any]
RawResponse = dict[str, Any]
LambdaHandler = Callable[[RawEvent, LambdaContext], RawResponse]
RawBody = Callable[[RawEvent, LambdaContext, Settings], RawResponse]

_settings: Settings | None = None
_settings_lock = threading.Lock()
# Third-party root loggers whose records should look like ours (botocore retries, the OpenAI SDK).
_FOREIGN_LOGGERS = {"botocore", "openai", "httpx"}


_invocation_settings: contextvars.ContextVar[Settings | None] = contextvars.ContextVar(
    "invocation_settings", default=None
)


def container_settings() -> Settings:
    """Settings read from the environment once per container, as Lambda reuses a warm process.

    Where one process serves several functions (the local runner), each invocation runs inside
    ``invocation_settings`` with the settings of its own function's environment instead.
    """
    global _settings
    given = _invocation_settings.get()
    if given is not None:
        return given
    with _settings_lock:
        if _settings is None:
            _settings = Settings.from_env()
        return _settings


@contextmanager
def invocation_settings(settings: Settings) -> Iterator[None]:
    """Run an invocation with ``settings``, as its own Lambda container would have read them."""
    token = _invocation_settings.set(settings)
    try:
        yield
    finally:
        _invocation_settings.reset(token)


def reset_container() -> None:
    """Forget the cached settings, as a cold start would; the local runner calls it per run."""
    global _settings
    with _settings_lock:
        _settings = None


def bind_job(job_id: str) -> None:
    """Tag every following log line of this invocation with the job id."""
    logger.set_correlation_id(job_id)


def record_metric(name: str, value: float, unit: MetricUnit = MetricUnit.Count) -> None:
    metrics.add_metric(name=name, unit=unit, value=value)


def lambda_step(
    step: str, event_model: type[EventT]
) -> Callable[[Callable[[EventT, LambdaContext, Settings], BaseModel]], LambdaHandler]:
    """Wrap a step ``(request, context, settings) -> result`` whose input and output are models.

    The event is parsed into ``event_model`` here, once; an event that does not match is refused with
    ``InvalidEventError`` before the step runs. A job's id becomes the correlation id of the log lines.
    """

    def decorate(body: Callable[[EventT, LambdaContext, Settings], BaseModel]) -> LambdaHandler:
        def run(event: RawEvent, context: LambdaContext, settings: Settings) -> RawResponse:
            request = _parse_event(step, event, event_model)
            if isinstance(request, JobStep):
                bind_job(request.job_id)
            return body(request, context, settings).model_dump(mode="json")

        return _instrumented(step, functools.wraps(body)(run))

    return decorate


def lambda_api(step: str) -> Callable[[RawBody], LambdaHandler]:
    """Wrap an API handler: the event goes as it is to a Powertools resolver, which parses it."""

    def decorate(body: RawBody) -> LambdaHandler:
        return _instrumented(step, body)

    return decorate


def _parse_event(step: str, event: RawEvent, event_model: type[EventT]) -> EventT:
    """The event as the step's model; the reason names the fields, never their (possibly private) values."""
    try:
        return parse(event=event, model=event_model)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'event'}: {error['msg']}"
            for error in exc.errors()[:5]
        )
        raise InvalidEventError(f"{step} received an event it cannot read ({problems})") from None


def _instrumented(step: str, body: RawBody) -> LambdaHandler:
    """Everything an invocation needs first, around a body that takes the raw event.

    Settings are built once per container; workspaces left by a killed earlier invocation are removed
    before any new work lands on the small ephemeral disk; the step's duration is published as a metric.
    The body runs within the invocation's time budget (``mediascribe.time_budget``), so waits deep
    inside it end before the function's Timeout.
    """

    @functools.wraps(body)
    def invoke(event: RawEvent, context: LambdaContext) -> RawResponse:
        settings = container_settings()
        # Their format, not our level: the SDKs' debug output can include request details.
        copy_config_to_registered_loggers(
            source_logger=logger, include=_FOREIGN_LOGGERS, ignore_log_level=True
        )
        remove_stale_workspaces(settings.temp_dir)
        # Nothing from an earlier invocation that died before flushing may leak into this one.
        metrics.clear_metrics()
        metrics.add_dimension(name="Step", value=step)
        started = time.perf_counter()
        try:
            with invocation_budget(context.get_remaining_time_in_millis):
                return body(event, context, settings)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            record_metric("StepDuration", elapsed_ms, MetricUnit.Milliseconds)
            logger.info("step finished", extra={"step": step, "duration_ms": round(elapsed_ms, 1)})

    traced = tracer.capture_lambda_handler(invoke, capture_response=False)
    with_metrics = metrics.log_metrics(traced)
    return logger.inject_lambda_context(with_metrics, clear_state=True)
