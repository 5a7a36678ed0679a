"""The process a local run's handlers share, made to look like each function's own container.

Lambda gives every function its own process: its environment, and settings, clients and caches made
at its cold start. A local run serves all functions in one process, so it sets the variables every
handler reads for the run (and clears those of the caller's shell that must not leak in), parses each
function's ``Settings`` once per distinct environment, and forgets every cached client and setting
between runs, so that each run starts as a cold start does.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from aws_lambda_powertools.utilities.parameters import clear_caches as clear_parameter_caches

from mediascribe.config import Settings
from mediascribe.jobs.connect import clear_executor_cache
from mediascribe.observability import reset_container
from mediascribe.workflow.runtime import reset_runtimes

# Variables that must not leak from the caller's shell into the handlers of a local run.
ISOLATED_VARIABLES = (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "DATABASE_SECRET_ARN",
    # A local run uses its own PostgreSQL over psycopg2, whatever the shell points at.
    "DATABASE_MODE",
    "DATABASE_CLUSTER_ARN",
    "DATABASE_HOST",
    "DATABASE_PORT",
    "DATABASE_NAME",
    "OPENAI_API_KEY_SECRET",
    # A local run reads the Notion token from NOTION_TOKEN; a deployment's secret is not in its moto.
    "NOTION_TOKEN_SECRET",
    "FFMPEG_BINARY",
    "FFPROBE_BINARY",
    # Webhooks go out only when the run asks for them (--webhook), never from a variable of the shell.
    "WEBHOOK_URL",
    "WEBHOOK_SECRET",
    "WEBHOOK_SECRET_ARN",
    "WEBHOOK_QUEUE_URL",
)


def process_variables(region: str) -> dict[str, str]:
    """What every handler of a local run reads from the process: the Region and stand-in keys."""
    return {
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        # Traces and metrics would go to X-Ray and stdout, which no local run reads.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }


@functools.lru_cache(maxsize=32)
def _parsed_settings(environment: tuple[tuple[str, str], ...]) -> Settings:
    return Settings.from_env(dict(environment))


def function_settings(environment: Mapping[str, str]) -> Settings:
    """One ``Settings`` per distinct environment, as each container parses its own once."""
    return _parsed_settings(tuple(sorted(environment.items())))


def forget_containers() -> None:
    """Every run starts like a cold start: settings, clients, secrets and the database handle are
    rebuilt (Powertools keeps its secret providers, and their clients, per process)."""
    clear_parameter_caches()  # type: ignore[no-untyped-call]
    reset_container()
    reset_runtimes()
    clear_executor_cache()
    _parsed_settings.cache_clear()


@contextmanager
def process_environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for ``None``, unset) ``values`` in ``os.environ`` for the run; restored afterwards."""
    saved = {name: os.environ.get(name) for name in [*values, "STATE_MACHINE_ARN"]}
    try:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
