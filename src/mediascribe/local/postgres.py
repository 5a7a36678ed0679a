"""A throwaway PostgreSQL cluster for tests and the local run, started from the server binaries.

PostgreSQL refuses to run as root, and CI and these machines run as root: the cluster directory is then
handed to the ``postgres`` system user and ``initdb``/``pg_ctl`` run through ``runuser``. Durability is
switched off (``--no-sync``, ``fsync=off``) because the cluster lives only as long as the ``with`` block.
It listens on 127.0.0.1 on a free port so every client (psycopg2, psql, another process) reaches it the
same way, and its socket lives in the cluster directory so it never collides with a system server.
Starting one also stops and removes the clusters of earlier runs that were killed (``debris``).
"""

from __future__ import annotations

import logging
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import psycopg2
from psycopg2 import sql

from mediascribe.errors import ConfigurationError
from mediascribe.local.debris import abandoned, claim

logger = logging.getLogger(__name__)

_PREFIX = "mediascribe-pg-"
SUPERUSER = "mediascribe"
DATABASE = "mediascribe"
_SERVER_USER = "postgres"
_START_ATTEMPTS = 3
_MISSING_BINARIES = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH, via pg_config or in "
    "/usr/lib/postgresql/*/bin. Run scripts/ensure-postgres.sh (installs Debian's postgresql package) "
    "or set DATABASE_URL to a server you run."
)


def find_server_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``; Debian keeps them off PATH, hence the search."""
    candidates: list[Path] = []
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    debian = Path("/usr/lib/postgresql").glob("*/bin")
    candidates.extend(sorted(debian, key=_major_version, reverse=True))
    for directory in candidates:
        if (directory / "initdb").is_file() and (directory / "pg_ctl").is_file():
            return directory
    raise ConfigurationError(_MISSING_BINARIES)


def _major_version(bindir: Path) -> int:
    name = bindir.parent.name
    return int(name) if name.isdigit() else 0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class LocalPostgres:
    """``with LocalPostgres() as pg: connect(pg.dsn)``; the cluster and its files are gone afterwards."""

    def __init__(self, *, base_dir: Path | str | None = None) -> None:
        self._base_dir = base_dir
        self.directory: Path | None = None
        self._bindir: Path | None = None
        self.port: int | None = None

    @property
    def dsn(self) -> str:
        if self.port is None:
            raise RuntimeError("LocalPostgres is not running")
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{DATABASE}"

    def __enter__(self) -> LocalPostgres:
        self._bindir = find_server_bindir()
        self._clear_abandoned()
        self.directory = Path(tempfile.mkdtemp(prefix=_PREFIX, dir=self._base_dir))
        claim(self.directory)
        try:
            self._start()
        except BaseException:
            self._cleanup()
            raise
        logger.info("local PostgreSQL started", extra={"port": self.port, "data_dir": str(self.directory)})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._cleanup()

    @property
    def _data_dir(self) -> Path:
        assert self.directory is not None
        return self.directory / "data"

    @property
    def _log_file(self) -> Path:
        assert self.directory is not None
        return self.directory / "server.log"

    def _start(self) -> None:
        assert self.directory is not None
        socket_dir = self.directory / "socket"
        socket_dir.mkdir()
        self._hand_to_server_user()
        self._run(
            "initdb",
            "-D",
            str(self._data_dir),
            "--no-sync",
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "--encoding=UTF8",
            "--locale=C",
        )
        for attempt in range(1, _START_ATTEMPTS + 1):
            # Another process may grab the port between probing and binding: pick a new one then.
            self.port = _free_port()
            options = " ".join(
                shlex.quote(option)
                for option in (
                    "-c",
                    "fsync=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-p",
                    str(self.port),
                    "-k",
                    str(socket_dir),
                )
            )
            result = self._run(
                "pg_ctl",
                "-D",
                str(self._data_dir),
                "-l",
                str(self._log_file),
                "-w",
                "-t",
                "60",
                "-o",
                options,
                "start",
                check=False,
            )
            if result.returncode == 0:
                break
            log = self._log_tail()
            if attempt == _START_ATTEMPTS or "already in use" not in log:
                raise ConfigurationError(f"PostgreSQL did not start: {result.stderr.strip()}\n{log}")
        self._create_database()

    def _hand_to_server_user(self) -> None:
        """As root, the server user must own the cluster directory; otherwise we own it already."""
        if os.geteuid() != 0:
            return
        try:
            account = pwd.getpwnam(_SERVER_USER)
        except KeyError as exc:
            raise ConfigurationError(
                f"running as root needs the '{_SERVER_USER}' system user to run PostgreSQL: "
                + _MISSING_BINARIES
            ) from exc
        assert self.directory is not None
        for path in [self.directory, *self.directory.rglob("*")]:
            os.chown(path, account.pw_uid, account.pw_gid)
        reachable = subprocess.run(
            ["runuser", "-u", _SERVER_USER, "--", "test", "-w", str(self.directory)], check=False
        )
        if reachable.returncode != 0:
            raise ConfigurationError(
                f"the '{_SERVER_USER}' user cannot reach {self.directory}: choose a base directory "
                "that every user may traverse (the default temp dir does)"
            )

    def _run(
        self, tool: str, *args: str, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        assert self._bindir is not None
        command = [str(self._bindir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _SERVER_USER, "--", *command]
        result = subprocess.run(
            command, capture_output=True, text=True, cwd=cwd or self.directory, check=False
        )
        if check and result.returncode != 0:
            raise ConfigurationError(f"{tool} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def _log_tail(self) -> str:
        try:
            return self._log_file.read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def _create_database(self) -> None:
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", connect_timeout=10
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        finally:
            connection.close()

    def _cleanup(self) -> None:
        if self.directory is None:
            return
        self._remove_cluster(self.directory)
        self.directory = None
        self.port = None

    def _clear_abandoned(self) -> None:
        """Stop the servers of runs that were killed and remove their clusters."""
        for directory in abandoned(Path(self._base_dir or tempfile.gettempdir()), _PREFIX):
            logger.info("removing the cluster of a killed run", extra={"path": str(directory)})
            self._remove_cluster(directory)

    def _remove_cluster(self, directory: Path) -> None:
        data_dir = directory / "data"
        if (data_dir / "postmaster.pid").exists():
            self._run(
                "pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop", check=False, cwd=directory
            )
        shutil.rmtree(directory, ignore_errors=True)
