"""The functions' login role: a whole job through it, no schema change, the same role on every run."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2.extensions import make_dsn

from mediascribe.config import Settings
from mediascribe.errors import ConfigurationError
from mediascribe.jobs import JobStatus
from mediascribe.jobs.app_role import AppCredentials, ensure_app_role, scram_verifier
from mediascribe.jobs.connect import clear_executor_cache, migrate
from mediascribe.jobs.database import Database
from mediascribe.jobs.executor import Executor, StatementError
from mediascribe.jobs.repository import JobRepository
from mediascribe.jobs.schema import Migration, apply_migrations, available_migrations
from support.fake_data_api import FakeDataApi, data_api_executor, secrets_manager_credentials
from support.job_sources import job_id_for, source_for

# Every printable ASCII character that could break naive quoting, in a valid password.
AWKWARD_PASSWORD = 'it\'s a "quoted" pass\\word; %s %(x)s $$ -- /*'
DDL = (
    "CREATE TABLE intruder (id int)",
    "DROP TABLE assets",
    "ALTER TABLE assets ADD COLUMN extra text",
    "TRUNCATE assets_processing_jobs",
    "CREATE INDEX assets_by_title ON assets (title)",
    "DROP TRIGGER assets_touch_updated_at ON assets",
    "DELETE FROM schema_migrations",
    "INSERT INTO schema_migrations (version, name) VALUES ('9999', '9999_forged.sql')",
)


@pytest.fixture
def migrator(adapter: str, database: Database, request) -> Iterator[Executor]:
    """The master user's executor over the adapter under test (the migrate function's identity)."""
    if adapter == "psycopg2":
        yield database
        return
    executor = data_api_executor(request.getfixturevalue("data_api"), resume_backoff_seconds=0.01)
    yield executor
    executor.close()


@pytest.fixture
def app_executor(adapter: str, _migrated: str, request) -> Iterator[Callable[[AppCredentials], Executor]]:
    """An executor that logs in as the application role, over the adapter under test: on the Data API
    the role's login is in the function's secret (moto's Secrets Manager), which the stand-in reads."""
    opened: list[Executor] = []
    apis: list[FakeDataApi] = []

    def open_as(credentials: AppCredentials) -> Executor:
        if adapter == "psycopg2":
            opened.append(
                Database(make_dsn(_migrated, user=credentials.username, password=credentials.password))
            )
            return opened[-1]
        secrets = request.getfixturevalue("secrets_manager")
        value = json.dumps({"username": credentials.username, "password": credentials.password})
        arn = secrets.create_secret(Name=f"mediascribe-app-{credentials.username}", SecretString=value)["ARN"]
        api = FakeDataApi(_migrated, secret_arn=arn, credentials=secrets_manager_credentials(secrets))
        apis.append(api.__enter__())
        opened.append(data_api_executor(api, resume_backoff_seconds=0.01))
        return opened[-1]

    yield open_as
    for executor in opened:
        executor.close()
    for api in apis:
        api.__exit__(None, None, None)


def stored_verifier(dsn: str, role: str) -> str:
    connection = psycopg2.connect(dsn)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,))
            (verifier,) = cursor.fetchone()
    finally:
        connection.close()
    return str(verifier)


def verifies(verifier: str, password: str) -> bool:
    """Whether ``verifier`` was made from ``password`` (its salt and iterations, recomputed)."""
    iterations, salt = verifier.split("$")[1].split(":")
    return scram_verifier(password, salt=base64.b64decode(salt), iterations=int(iterations)) == verifier


def test_the_app_role_runs_a_whole_job_and_changes_no_schema(
    migrator: Executor, app_executor, role_name: str
) -> None:
    credentials = AppCredentials(role_name, AWKWARD_PASSWORD)
    ensure_app_role(migrator, credentials)
    app = app_executor(credentials)
    (who,) = app.execute("SELECT current_user AS name")
    assert who["name"] == role_name

    jobs = JobRepository(app)
    source = source_for(f"uploads/{role_name}/talk.mp3")
    job, created = jobs.create_job(job_id_for(source), source, "talk.mp3")
    assert created
    jobs.start(job.id, "arn:aws:states:us-east-1:123456789012:execution:sm:x")
    jobs.record_media(job.id, "audio", 4.0)
    jobs.set_chunk_total(job.id, 1)
    jobs.chunk_finished(job.id, 0)
    done = jobs.complete(job.id, "hello world", {"chunk_count": 1})
    jobs.set_notes(job.id, {"summary": "a talk"}, "A talk")
    assert done.status == JobStatus.COMPLETED and jobs.get_content(job.id) == "hello world"
    other = source_for(f"uploads/{role_name}/broken.mp3")
    broken, _ = jobs.create_job(job_id_for(other), other, "broken.mp3")
    jobs.start(broken.id)
    assert jobs.fail(broken.id, "CorruptMediaError").status == JobStatus.FAILED
    assert jobs.retry(broken.id).status == JobStatus.PENDING
    assert jobs.fail_stale_jobs(0) == [broken.id]
    app.execute("DELETE FROM assets_processing_jobs WHERE id = %(id)s", {"id": uuid.UUID(broken.id)})

    for statement in DDL:
        with pytest.raises(StatementError, match=r"permission denied|must be (the )?owner"):
            app.execute(statement)
    with pytest.raises(StatementError, match="permission denied"):
        app.execute(f"ALTER ROLE {role_name} CREATEDB")


def test_every_run_sets_the_current_password_and_grants_once(
    database: Database, _migrated: str, role_name: str
) -> None:
    ensure_app_role(database, AppCredentials(role_name, "first-password-0123456789"))
    first = stored_verifier(_migrated, role_name)
    assert first.startswith("SCRAM-SHA-256$4096:") and verifies(first, "first-password-0123456789")

    ensure_app_role(database, AppCredentials(role_name, "second-password-0123456789"))
    second = stored_verifier(_migrated, role_name)
    assert verifies(second, "second-password-0123456789") and not verifies(
        second, "first-password-0123456789"
    )

    (row,) = database.execute(
        "SELECT count(*) AS roles, bool_or(rolsuper OR rolcreatedb OR rolcreaterole) AS powerful"
        " FROM pg_roles WHERE rolname = %(name)s",
        {"name": role_name},
    )
    assert (row["roles"], row["powerful"]) == (1, False)
    grants = database.execute(
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
        " WHERE grantee = %(name)s ORDER BY 1, 2",
        {"name": role_name},
    )
    by_table: dict[str, set[str]] = {}
    for grant in grants:
        by_table.setdefault(grant["table_name"], set()).add(grant["privilege_type"])
    rows = {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert by_table == {
        "assets": rows,
        "assets_processing_jobs": rows,
        "event_deliveries": rows,
        "notes_requests": rows,
        "schema_migrations": {"SELECT"},
        "transcript_segments": rows,
    }
    assert len(grants) == 21


def test_tables_added_by_later_migrations_are_granted_too(
    database: Database, _migrated: str, role_name: str
) -> None:
    ensure_app_role(database, AppCredentials(role_name, "later-tables-0123456789"))
    table = f"later_{uuid.uuid4().hex[:8]}"
    database.execute(f"CREATE TABLE {table} (id serial PRIMARY KEY, note text)")
    app = Database(make_dsn(_migrated, user=role_name, password="later-tables-0123456789"))
    try:
        (row,) = app.execute(f"INSERT INTO {table} (note) VALUES ('x') RETURNING id")
        assert row["id"] == 1
    finally:
        app.close()
        database.execute(f"DROP TABLE {table}")


def test_the_login_confirms_an_up_to_date_schema_but_cannot_apply_a_pending_migration(
    database: Database, _migrated: str, role_name: str, monkeypatch
) -> None:
    """An existing database whose secret is the row-only login: deployments pass until a migration
    is pending, which then fails (nothing half-applied) until its owner migrates."""
    ensure_app_role(database, AppCredentials(role_name, "row-only-login-0123456789"))
    app = Database(make_dsn(_migrated, user=role_name, password="row-only-login-0123456789"))
    try:
        assert apply_migrations(app) == []
        pending = Migration("9999", "9999_more.sql", "CREATE TABLE more_things (id int);")
        monkeypatch.setattr(
            "mediascribe.jobs.schema.available_migrations", lambda: [*available_migrations(), pending]
        )
        with pytest.raises(StatementError, match="permission denied"):
            apply_migrations(app)
    finally:
        app.close()
    versions = database.execute("SELECT version FROM schema_migrations WHERE version = '9999'")
    assert versions == []


def test_the_verifier_is_the_one_libpq_computes(_migrated: str) -> None:
    connection = psycopg2.connect(_migrated)
    try:
        reference = psycopg2.extensions.encrypt_password(
            AWKWARD_PASSWORD, "anyone", connection, "scram-sha-256"
        )
    finally:
        connection.close()
    assert verifies(reference, AWKWARD_PASSWORD)
    assert not verifies(reference, AWKWARD_PASSWORD + "x")


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ({"username": 'app"; DROP TABLE assets; --', "password": "x" * 20}, "lower-case identifier"),
        ({"username": "Mediascribe", "password": "x" * 20}, "lower-case identifier"),
        ({"username": "pg_app", "password": "x" * 20}, "lower-case identifier"),
        ({"username": "rdsadmin", "password": "x" * 20}, "lower-case identifier"),
        ({"password": "x" * 20}, "lower-case identifier"),
        ({"username": "app", "password": "short"}, "16 to 128"),
        ({"username": "app", "password": "line\nbreak-0123456789"}, "16 to 128"),
        ({"username": "app", "password": "caf\u00e9-0123456789abcdef"}, "16 to 128"),
    ],
)
def test_a_bad_application_secret_is_refused_without_echoing_it(secret: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason) as refused:
        AppCredentials.from_secret(secret)
    assert "x" * 20 not in str(refused.value) and "DROP" not in str(refused.value)


def test_the_migrating_user_or_a_powerful_role_is_never_taken_over(
    database: Database, role_name: str
) -> None:
    (me,) = database.execute("SELECT current_user AS name")
    with pytest.raises(ConfigurationError, match="must not be the user that migrates"):
        ensure_app_role(database, AppCredentials(me["name"], "take-over-0123456789"))
    database.execute(f"CREATE ROLE {role_name} CREATEROLE")
    with pytest.raises(ConfigurationError, match="more than login rights"):
        ensure_app_role(database, AppCredentials(role_name, "take-over-0123456789"))
    database.execute(f"ALTER ROLE {role_name} NOCREATEROLE")
    database.execute(f"GRANT pg_read_all_data TO {role_name}")
    with pytest.raises(ConfigurationError, match="more than login rights"):
        ensure_app_role(database, AppCredentials(role_name, "take-over-0123456789"))
    database.execute(f"REVOKE pg_read_all_data FROM {role_name}")
    ensure_app_role(database, AppCredentials(role_name, "take-over-0123456789"))


def test_migrate_creates_the_role_named_by_the_application_secret(
    role_name: str, empty_dsn: str, app_secret: str
) -> None:
    try:
        applied = migrate(Settings(database_url=empty_dsn, database_app_secret_arn=app_secret))
    finally:
        clear_executor_cache()
    assert applied
    assert verifies(stored_verifier(empty_dsn, role_name), "from-secrets-manager-0123")
    app = Database(make_dsn(empty_dsn, user=role_name, password="from-secrets-manager-0123"))
    try:
        assert app.execute("SELECT count(*) AS jobs FROM assets_processing_jobs") == [{"jobs": 0}]
    finally:
        app.close()
