"""Connection strings for an existing PostgreSQL from a Secrets Manager secret, TLS verified.

Two secret shapes are accepted: the RDS-managed master-user secret, which holds only ``username`` and
``password`` (host, port and database then come from settings), and a full JSON secret that also names
``host``, ``port`` and ``dbname``. Settings win where both give a value, so one secret can serve a
cluster reached through another name. The server certificate is verified against the RDS certificate
authorities shipped in this package (``verify-full``): no download at run time.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import psycopg2.extensions

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError

_SECRET_MAX_AGE_SECONDS = 300
_DEFAULT_PORT = 5432
_DEFAULT_DATABASE = "postgres"


def rds_ca_bundle() -> str:
    """The path of the bundled RDS certificate authorities (a real file inside the installed package)."""
    return str(resources.files("mediascribe.jobs").joinpath("certificates/rds-ca-bundle.pem"))


def dsn_from_secret(secret_arn: str, settings: Settings) -> str:
    """A ``verify-full`` connection string from the secret and the host/port/name settings."""
    return dsn_from_values(read_json_secret(secret_arn), settings)


def read_json_secret(secret_arn: str) -> dict[str, Any]:
    """A database secret's JSON object, cached for five minutes."""
    from aws_lambda_powertools.utilities import parameters

    secret: Any = parameters.get_secret(secret_arn, transform="json", max_age=_SECRET_MAX_AGE_SECONDS)
    if not isinstance(secret, dict):
        raise ConfigurationError("the database secret is not a JSON object")
    return secret


def dsn_from_values(secret: dict[str, Any], settings: Settings) -> str:
    host = settings.database_host or secret.get("host")
    missing = [name for name in ("username", "password") if not secret.get(name)]
    if missing:
        raise ConfigurationError(f"the database secret lacks {', '.join(missing)}")
    if not host:
        raise ConfigurationError("the database secret names no host: set DATABASE_HOST")
    return psycopg2.extensions.make_dsn(
        host=host,
        port=str(settings.database_port or secret.get("port") or _DEFAULT_PORT),
        user=secret["username"],
        password=secret["password"],
        dbname=settings.database_name or secret.get("dbname") or _DEFAULT_DATABASE,
        sslmode="verify-full",
        sslrootcert=rds_ca_bundle(),
    )
