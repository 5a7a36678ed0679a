"""The rehearsal's fixtures: the stack as deployed, on stand-ins, with every call judged against its role.

One PostgreSQL of the rehearsal's own stands behind the Data API stand-in, with the template's
database name and the cluster's master user, so the custom resource creates the schema and the app
login as it would in Aurora. One ``CallLog`` gathers every judged call of the session; the per-role
table is printed at the end of the run.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg2
import pytest
from psycopg2 import sql

from mediascribe.jobs import secret
from mediascribe.local.postgres import DATABASE, SUPERUSER, LocalPostgres
from support.fake_data_api import CLUSTER_ARN, FakeDataApi
from support.fake_openai import FakeTranscriptionServer
from support.rehearsal.calls import CallLog
from support.rehearsal.stack import DeployedStack, expand
from support.rehearsal.tls import Certificates, certificates
from support.rehearsal.variants import PROFILE_REGIONS
from support.rehearsal.world import MASTER_USER, Rehearsal, Variant, rehearse
from support.virtual_clock import VirtualClock

_LOG = CallLog()
RehearsalFactory = Callable[..., AbstractContextManager[Rehearsal]]


@pytest.fixture(scope="session")
def rehearsal_tls(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """The run's own CA and its certificate for 127.0.0.1: every local TLS server of the rehearsal
    (CloudFormation's response URL, the database, a webhook receiver) presents it."""
    return certificates(tmp_path_factory.mktemp("rehearsal-tls"))


@pytest.fixture(scope="session")
def rehearsal_postgres(rehearsal_tls: Certificates) -> Iterator[LocalPostgres]:
    """The rehearsal's database server: the master user of the template, and TLS from the run's own
    CA (``rehearsal_ca``) for the functions that reach an existing database with ``verify-full``."""
    with LocalPostgres() as server:
        assert server.directory is not None
        _, cert_file, key_file = rehearsal_tls
        data = server.directory / "data"
        owner = data.stat()
        for source, name in ((cert_file, "server.crt"), (key_file, "server.key")):
            target = data / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            os.chown(target, owner.st_uid, owner.st_gid)
        admin = psycopg2.connect(host="127.0.0.1", port=server.port, user=SUPERUSER, dbname="postgres")
        admin.autocommit = True
        with admin.cursor() as cursor:
            # Aurora's master user may create roles and owns the database it was created with.
            cursor.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(MASTER_USER)))
            cursor.execute("ALTER SYSTEM SET ssl = on")
            cursor.execute("SELECT pg_reload_conf()")
        admin.close()
        yield server


@pytest.fixture
def rehearsal_ca(rehearsal_tls: Certificates, monkeypatch: pytest.MonkeyPatch) -> None:
    """Functions verify the database against the RDS authorities they ship; here it is the run's CA."""
    monkeypatch.setattr(secret, "rds_ca_bundle", lambda: str(rehearsal_tls[0]))


def _fresh_database(server: LocalPostgres) -> None:
    """The cluster as CloudFormation creates it: the template's database, owned by the master user."""
    admin = psycopg2.connect(host="127.0.0.1", port=server.port, user=SUPERUSER, dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE)))
        cursor.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(DATABASE), sql.Identifier(MASTER_USER)
            )
        )
    admin.close()


@pytest.fixture
def rehearsal_tables(rehearsal_postgres: LocalPostgres) -> Callable[[], set[str]]:
    """The tables of the rehearsal's database, read directly, not through the stand-in."""

    def tables() -> set[str]:
        connection = psycopg2.connect(
            host="127.0.0.1", port=rehearsal_postgres.port, user=SUPERUSER, dbname=DATABASE
        )
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                return {row[0] for row in cursor.fetchall()}
        finally:
            connection.close()

    return tables


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def rehearsal_fake_api() -> Iterator[FakeTranscriptionServer]:
    with FakeTranscriptionServer() as server:
        yield server


@pytest.fixture
def call_log() -> CallLog:
    return _LOG


@pytest.fixture
def make_rehearsal(make_rehearsal_with: RehearsalFactory) -> RehearsalFactory:
    """``with make_rehearsal(variant) as rehearsal:`` — the variant's stack, schema created."""
    return make_rehearsal_with


@pytest.fixture
def make_rehearsal_with(
    rehearsal_postgres: LocalPostgres,
    rehearsal_tls: Certificates,
    rehearsal_fake_api: FakeTranscriptionServer,
    clock: VirtualClock,
    call_log: CallLog,
    tmp_path: Path,
) -> RehearsalFactory:
    """``with make_rehearsal_with(variant, statement_timeout_seconds=1.0, AWS_ENDPOINT_URL_X=url)``:
    the variant's stack with options for the Data API stand-in and further stand-in endpoints."""

    @contextmanager
    def factory(
        variant: Variant, *, statement_timeout_seconds: float | None = None, **endpoints: str
    ) -> Iterator[Rehearsal]:
        _fresh_database(rehearsal_postgres)
        stack = DeployedStack(expand(variant.parameters), variant.parameters)
        secrets: dict[str, str] = {}

        def credentials(secret_arn: str) -> tuple[str, str]:
            document = json.loads(secrets[secret_arn])
            return document["username"], document["password"]

        with FakeDataApi(
            f"host=127.0.0.1 port={rehearsal_postgres.port} dbname={DATABASE}",
            # With an existing database there is no cluster, and no function calls the Data API.
            cluster_arn=stack.get_att("DatabaseCluster", "DBClusterArn")
            if "DatabaseCluster" in stack.resources
            else CLUSTER_ARN,
            credentials=credentials,
            clock=clock,
            **(
                {}
                if statement_timeout_seconds is None
                else {"statement_timeout_seconds": statement_timeout_seconds}
            ),
        ) as data_api:
            work = tmp_path / "lambda-tmp"
            work.mkdir(exist_ok=True)
            with rehearse(
                variant,
                endpoints={
                    "AWS_ENDPOINT_URL_RDS_DATA": data_api.endpoint_url,
                    "OPENAI_BASE_URL": rehearsal_fake_api.base_url,
                    **endpoints,
                },
                temp_dir=work,
                log=call_log,
                clock=clock,
                secrets=secrets,
                profile_regions=PROFILE_REGIONS,
                tls=rehearsal_tls,
            ) as rehearsal:
                rehearsal.data_api = data_api
                yield rehearsal

    return factory


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _LOG.calls:
        terminalreporter.section("rehearsal: AWS calls by role")
        terminalreporter.write_line(_LOG.table())
