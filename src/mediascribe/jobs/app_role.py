"""The functions' database login: a role that reads and writes rows and can change no schema.

The migrate function, running as the cluster's master user, creates the role when it is missing and
sets its password on every run, so a redeployment after a new secret value brings the two back in
step. PostgreSQL takes no bind parameters in ``CREATE/ALTER ROLE``, so every statement is built by the
server itself with ``format('%I', '%L')`` from bound values, never by joining strings here. The
password travels only as a SCRAM-SHA-256 verifier (what ``psql``'s ``\\password`` sends): the clear
text never reaches the server, its statement log or the Data API.

Grants are what the repository needs: connect, use the schema, read and write the rows of every table
the migrations create (now and, through default privileges, later), and only read the migrations'
own bookkeeping. Owning nothing, the role cannot create, alter, drop or truncate a table.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from mediascribe.errors import ConfigurationError
from mediascribe.jobs.executor import Executor, Transaction
from mediascribe.jobs.schema import hold_migration_lock

# A plain lower-case identifier; PostgreSQL reserves the pg_ prefix, RDS the rds prefix.
_ROLE_NAME = re.compile(r"^(?!pg_|rds)[a-z_][a-z0-9_]{0,62}$")
# Printable ASCII: SASLprep leaves it unchanged, so the verifier matches what clients send.
_PASSWORD = re.compile(r"^[\x20-\x7e]{16,128}$")
_SCRAM_ITERATIONS = 4096

_ROW_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
_GRANTS = (
    "GRANT CONNECT ON DATABASE %1$I TO %3$I",
    "GRANT USAGE ON SCHEMA %2$I TO %3$I",
    f"GRANT {_ROW_PRIVILEGES} ON ALL TABLES IN SCHEMA %2$I TO %3$I",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %2$I TO %3$I",
    # The migrations' bookkeeping is read only: enough to confirm that nothing is pending.
    "REVOKE INSERT, UPDATE, DELETE ON TABLE %2$I.schema_migrations FROM %3$I",
    f"ALTER DEFAULT PRIVILEGES IN SCHEMA %2$I GRANT {_ROW_PRIVILEGES} ON TABLES TO %3$I",
    "ALTER DEFAULT PRIVILEGES IN SCHEMA %2$I GRANT USAGE, SELECT ON SEQUENCES TO %3$I",
)


@dataclass(frozen=True)
class AppCredentials:
    username: str
    password: str = field(repr=False)

    @classmethod
    def from_secret(cls, secret: dict[str, Any]) -> AppCredentials:
        """Validated ``username``/``password`` of the application secret; the reason never shows them."""
        username, password = secret.get("username"), secret.get("password")
        if not isinstance(username, str) or not _ROLE_NAME.match(username):
            raise ConfigurationError(
                "the application database secret's username must be a lower-case identifier "
                "(letters, digits, underscore; not pg_ or rds)"
            )
        if not isinstance(password, str) or not _PASSWORD.match(password):
            raise ConfigurationError(
                "the application database secret's password must be 16 to 128 printable ASCII characters"
            )
        return cls(username, password)


def scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = _SCRAM_ITERATIONS) -> str:
    """The ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` form PostgreSQL stores (RFC 7677)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    stored_key = hashlib.sha256(hmac.digest(salted, b"Client Key", "sha256")).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")
    return f"SCRAM-SHA-256${iterations}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def ensure_app_role(executor: Executor, credentials: AppCredentials) -> None:
    """Create or update the login role and grant it row access, in one transaction under the
    migration lock (concurrent deployments queue)."""
    executor.run(lambda transaction: _ensure(transaction, credentials))


def _ensure(transaction: Transaction, credentials: AppCredentials) -> None:
    hold_migration_lock(transaction)
    (where,) = transaction.execute(
        "SELECT current_database() AS database, current_schema() AS schema, current_user AS migrator"
    )
    name = credentials.username
    if name == where["migrator"]:
        raise ConfigurationError("the application database user must not be the user that migrates")
    # A member of another role (rds_superuser, say) could use that role's rights.
    existing = transaction.execute(
        """
        SELECT rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls
               OR EXISTS (SELECT 1 FROM pg_auth_members WHERE member = r.oid) AS powerful
        FROM pg_roles r WHERE rolname = %(name)s
        """,
        {"name": name},
    )
    if existing and existing[0]["powerful"]:
        raise ConfigurationError("the application database user exists with more than login rights")
    verb = "ALTER" if existing else "CREATE"
    _run_formatted(
        transaction, f"{verb} ROLE %I WITH LOGIN PASSWORD %L", name, scram_verifier(credentials.password)
    )
    for grant in _GRANTS:
        _run_formatted(transaction, grant, where["database"], where["schema"], name)


def _run_formatted(transaction: Transaction, template: str, *values: str) -> None:
    """Have the server quote ``values`` into ``template`` (``format``), then run the statement."""
    names = {f"value{index}": value for index, value in enumerate(values)}
    placeholders = ", ".join(f"%({key})s" for key in names)
    (row,) = transaction.execute(
        f"SELECT format(%(template)s, {placeholders}) AS statement", {"template": template, **names}
    )
    transaction.execute(str(row["statement"]).replace("%", "%%"))
