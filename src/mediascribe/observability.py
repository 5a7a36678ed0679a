"""Logging, tracing and metrics shared by every Lambda handler, and the per-container setup they need.

The Powertools ``Logger`` is named after the service, ``mediascribe``, which makes it the parent of every
``mediascribe.*`` stdlib logger the domain code uses: their records propagate to it and come out as the
same JSON lines, carrying the job id as correlation id. Loggers of other libraries that register a root
logger later are given the same configuration on each invocation.
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit

from mediascribe.config import Settings
from mediascribe.workspace import remove_stale_workspaces

SERVICE = "mediascribe"

logger = Logger(service=SERVICE, stream=sys.stderr)
tracer = Tracer(service=SERVICE)
metrics = Metrics(namespace="Mediascribe", service=SERVICE)

StepFunction = Callable[[dict[str, Any], Any, Settings], Any]
LambdaHandler = Callable[[dict[str, Any], Any], Any]

_settings: Settings | None = None
_settings_lock = threading.Lock()
# Third-party root loggers whose records should look like ours (botocore retries, the OpenAI SDK).
_FOREIGN_LOGGERS = {"botocore", "openai", "httpx"}


def container_settings() -> Settings:
    """Settings read from the environment once per container, as Lambda reuses a warm process."""
    global _settings
    with _settings_lock:
        if _settings is None:
            _settings = Settings.from_env()
        return _settings


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


def lambda_step(step: str) -> Callable[[StepFunction], LambdaHandler]:
    """Wrap a handler body ``(event, context, settings)`` with everything an invocation needs first.

    Settings are built once per container; workspaces left by a killed earlier invocation are removed
    before any new work lands on the small ephemeral disk; the job id from the event becomes the
    correlation id; the step's duration is published as a metric.
    """

    def decorate(body: StepFunction) -> LambdaHandler:
        @functools.wraps(body)
        def invoke(event: dict[str, Any], context: Any) -> Any:
            settings = container_settings()
            # Their format, not our level: the SDKs' debug output can include request details.
            copy_config_to_registered_loggers(
                source_logger=logger, include=_FOREIGN_LOGGERS, ignore_log_level=True
            )
            remove_stale_workspaces(settings.temp_dir)
            job_id = event.get("job_id") if isinstance(event, dict) else None
            if isinstance(job_id, str):
                bind_job(job_id)
            # Nothing from an earlier invocation that died before flushing may leak into this one.
            metrics.clear_metrics()
            metrics.add_dimension(name="Step", value=step)
            started = time.perf_counter()
            try:
                return body(event, context, settings)
            finally:
                elapsed_ms = (time.perf_counter() - started) * 1000
                record_metric("StepDuration", elapsed_ms, MetricUnit.Milliseconds)
                logger.info("step finished", extra={"step": step, "duration_ms": round(elapsed_ms, 1)})

        traced = tracer.capture_lambda_handler(invoke, capture_response=False)
        with_metrics = metrics.log_metrics(traced)
        return logger.inject_lambda_context(with_metrics, clear_state=True)

    return decorate
