"""The throwaway cluster: a real server reachable over TCP, gone without a trace afterwards."""

from __future__ import annotations

import os

import psycopg2
import pytest

from mediascribe.errors import ConfigurationError
from mediascribe.local.postgres import LocalPostgres, find_server_bindir


def test_cluster_serves_queries_and_is_removed_on_exit() -> None:
    with LocalPostgres() as server:
        directory = server.directory
        assert directory is not None and (directory / "data" / "PG_VERSION").is_file()
        connection = psycopg2.connect(server.dsn)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW fsync")
                assert cursor.fetchone() == ("off",)
                cursor.execute("SELECT current_database(), inet_server_addr()::text")
                assert cursor.fetchone() == ("mediascribe", "127.0.0.1/32")
        finally:
            connection.close()
        dsn = server.dsn
    assert not directory.exists()
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(dsn, connect_timeout=2)


def test_cluster_is_removed_when_the_block_raises() -> None:
    with pytest.raises(RuntimeError, match="inside"), LocalPostgres() as server:
        directory = server.directory
        raise RuntimeError("inside")
    assert directory is not None and not directory.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to another user")
def test_unreachable_base_directory_is_explained(tmp_path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with pytest.raises(ConfigurationError, match="cannot reach"), LocalPostgres(base_dir=private):
        pass
    assert list(private.iterdir()) == []


def test_server_binaries_are_found() -> None:
    bindir = find_server_bindir()
    assert (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file()
