"""Composition: the executor the settings describe, and the migrations applied on it.

Kept apart from the adapters and the migration runner so that neither imports the other. Functions
get their executor from ``executor_from_settings`` (built once per warm container, never migrating);
schema changes run once per deployment through ``migrate`` (the migrate function), and local runs and
tests call ``migrate`` explicitly at setup.
"""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Any

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.jobs.database import Database
from mediascribe.jobs.executor import Executor
from mediascribe.jobs.schema import apply_migrations

if TYPE_CHECKING:
    from mypy_boto3_rds_data import RDSDataServiceClient

_cache: dict[tuple[str, ...], Executor] = {}
_cache_lock = threading.Lock()


def executor_from_settings(
    settings: Settings, *, data_api_client: RDSDataServiceClient | None = None
) -> Executor:
    """The process-wide executor for these settings; the schema is expected to be migrated already.

    ``DATABASE_MODE=data-api`` uses the RDS Data API on ``DATABASE_CLUSTER_ARN`` with the secret
    ``DATABASE_SECRET_ARN``. ``postgres`` uses ``DATABASE_URL`` when set (local runs and tests), else
    the server named by the secret and the ``DATABASE_HOST``/``PORT``/``NAME`` settings.
    """
    key = _cache_key(settings)
    with _cache_lock:
        executor = _cache.get(key)
        if executor is None:
            executor = _build(settings, data_api_client)
            _cache[key] = executor
        return executor


def migrate(settings: Settings) -> list[str]:
    """Apply pending migrations on the configured database; returns the versions applied now.

    With ``DATABASE_APP_SECRET_ARN`` the functions' login role (the secret's user) is then created or
    given the secret's current password, and granted row access to the migrated tables.
    """
    executor = executor_from_settings(settings)
    applied = apply_migrations(executor)
    if settings.database_app_secret_arn:
        from mediascribe.jobs.app_role import AppCredentials, ensure_app_role
        from mediascribe.jobs.secret import read_json_secret

        ensure_app_role(
            executor, AppCredentials.from_secret(read_json_secret(settings.database_app_secret_arn))
        )
    return applied


def clear_executor_cache() -> None:
    """Close every cached executor; for tests and local runs that switch databases within a process."""
    with _cache_lock:
        for executor in _cache.values():
            executor.close()
        _cache.clear()


def _cache_key(settings: Settings) -> tuple[str, ...]:
    if settings.database_mode == "data-api":
        if not (settings.database_cluster_arn and settings.database_secret_arn):
            raise ConfigurationError(
                "DATABASE_MODE=data-api needs DATABASE_CLUSTER_ARN and DATABASE_SECRET_ARN"
            )
        return (
            "data-api",
            settings.database_cluster_arn,
            settings.database_secret_arn,
            settings.database_name or "",
        )
    if settings.database_url:
        return ("url", settings.database_url)
    if settings.database_secret_arn:
        return (
            "secret",
            settings.database_secret_arn,
            settings.database_host or "",
            str(settings.database_port or ""),
            settings.database_name or "",
        )
    raise ConfigurationError("set DATABASE_URL or DATABASE_SECRET_ARN")


def _build(settings: Settings, data_api_client: RDSDataServiceClient | None) -> Executor:
    if settings.database_mode == "data-api":
        from mediascribe.jobs.data_api import DataApiExecutor

        client = data_api_client or _data_api_client()
        return DataApiExecutor(
            client,
            cluster_arn=str(settings.database_cluster_arn),
            secret_arn=str(settings.database_secret_arn),
            database=settings.database_name,
        )
    if settings.database_url:
        dsn: Any = settings.database_url
    else:
        from mediascribe.jobs.secret import dsn_from_secret

        # Read on every new connection, so a rotated password is picked up on reconnect.
        dsn = functools.partial(dsn_from_secret, str(settings.database_secret_arn), settings)
    return Database(
        dsn,
        connect_timeout=settings.database_connect_timeout_seconds,
        attempts=settings.database_connect_attempts,
    )


def _data_api_client() -> RDSDataServiceClient:
    import boto3
    from botocore.config import Config

    # Standard retries cover throttling and 5xx answers; the executor handles a resuming cluster.
    client: RDSDataServiceClient = boto3.client(
        "rds-data", config=Config(retries={"mode": "standard", "max_attempts": 5})
    )
    return client
