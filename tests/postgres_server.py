"""A throw-away PostgreSQL server for tests: a temporary cluster on 127.0.0.1, a free port.

`PostgresServer` finds Debian's ``initdb`` / ``pg_ctl`` (``/usr/lib/postgresql/*/bin``, or
``$PATH``), creates a data directory under a temporary folder, starts the server listening only
on 127.0.0.1 (its Unix socket in the same temporary folder), and removes everything on `stop`.
PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user (created by the Debian package) through ``runuser``.

`postgres_or_skip()` is what a fixture calls: it skips the test with a clear message when no
server can be started, except under CI (``BOOSTRANK_CI=1``, set by ``.ci/run``), where it fails.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "boostrank"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be started here (binaries missing, no user to run it...)."""


def find_pg_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl`` (newest Debian version first)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: _version_key(Path(p).parent.name),
        reverse=True,
    )
    for folder in candidates:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).parent
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin "
        "or on PATH; install Debian's 'postgresql' package (apt-get install postgresql)"
    )


def _version_key(name: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (0,)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    """A temporary PostgreSQL cluster on 127.0.0.1 (trust authentication, superuser
    ``boostrank``). Use as a context manager or call `start` / `stop`.

    ``url(dbname)`` gives a SQLAlchemy/Optuna URL ``postgresql://boostrank@127.0.0.1:PORT/db``.
    """

    def __init__(self, *, host: str = "127.0.0.1", start_timeout: float = 60.0) -> None:
        self.host = host
        self.start_timeout = start_timeout
        self.port: int | None = None
        self.root: Path | None = None
        self._run_as: str | None = None
        self._bin: Path | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> PostgresServer:
        self._bin = find_pg_bin()
        self._run_as = self._pick_user()
        self.root = Path(tempfile.mkdtemp(prefix="boostrank-pg-"))
        try:
            if self._run_as is not None:
                entry = pwd.getpwnam(self._run_as)
                os.chown(self.root, entry.pw_uid, entry.pw_gid)
            self._cmd(["initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
                       "--encoding=UTF8", "--no-sync", "--no-instructions"], timeout=120)
            last_error = ""
            for _attempt in range(3):  # the free port may be taken between probe and start
                self.port = free_port(self.host)
                options = (f"-p {self.port} -k {self.root} -c listen_addresses={self.host} "
                           "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                           "-c max_connections=100")
                try:
                    self._cmd(["pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file),
                               "-o", options, "-w", "-t", str(int(self.start_timeout)), "start"],
                              timeout=self.start_timeout + 10)
                    return self
                except PostgresUnavailable as exc:
                    last_error = str(exc)
            raise PostgresUnavailable(f"PostgreSQL did not start: {last_error}")
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (fast shutdown) and delete its temporary folder."""
        if self.root is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            try:
                self._cmd(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                          timeout=60)
            except (PostgresUnavailable, subprocess.TimeoutExpired):
                self._cmd(["pg_ctl", "-D", str(self.data_dir), "-m", "immediate", "stop"],
                          timeout=30, check=False)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ use
    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    def url(self, dbname: str = "postgres") -> str:
        """Connection URL for ``dbname`` as Optuna/SQLAlchemy take it: plain ``postgresql://``
        (SQLAlchemy 2.1 picks psycopg 3), ``postgresql+psycopg2://`` when only psycopg2 is
        installed."""
        scheme = "postgresql"
        if driver_module().__name__ == "psycopg2":
            scheme += "+psycopg2"
        return f"{scheme}://{SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` and return its URL."""
        if not name.replace("_", "").isalnum():
            raise ValueError(f"database name {name!r} must be alphanumeric/underscores")
        driver = driver_module()
        conn = driver.connect(host=self.host, port=self.port, user=SUPERUSER, dbname="postgres")
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()
        return self.url(name)

    def log_tail(self, n_chars: int = 2000) -> str:
        try:
            return self.log_file.read_text(errors="replace")[-n_chars:]
        except OSError:
            return ""

    # ------------------------------------------------------------------ internals
    def _pick_user(self) -> str | None:
        if os.geteuid() != 0:
            return None
        for name in ("postgres", "nobody"):
            try:
                pwd.getpwnam(name)
            except KeyError:
                continue
            if shutil.which("runuser") is None:
                break
            return name
        raise PostgresUnavailable(
            "running as root and PostgreSQL refuses to run as root: need the 'postgres' user "
            "(created by Debian's postgresql package) and runuser"
        )

    def _cmd(self, argv: list[str], *, timeout: float, check: bool = True) -> None:
        assert self._bin is not None
        argv = [str(self._bin / argv[0]), *argv[1:]]
        if self._run_as is not None:
            argv = ["runuser", "-u", self._run_as, "--", *argv]
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                                  cwd=self.root, env=_clean_env())
        except subprocess.TimeoutExpired as exc:
            raise PostgresUnavailable(
                f"{Path(argv[-1]).name} timed out after {timeout:.0f}s\n{self.log_tail()}"
            ) from exc
        if check and proc.returncode != 0:
            raise PostgresUnavailable(
                f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-1500:]}\n"
                f"{self.log_tail()}"
            )


def driver_module():
    """The PostgreSQL driver SQLAlchemy uses for ``postgresql://`` URLs: psycopg (3), the
    default of SQLAlchemy 2.1, else psycopg2."""
    try:
        import psycopg

        return psycopg
    except ImportError:
        pass
    try:
        import psycopg2

        return psycopg2
    except ImportError:
        raise PostgresUnavailable(
            "no PostgreSQL driver for Python: pip install 'psycopg[binary]' (or psycopg2-binary)"
        ) from None


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C.UTF-8" if Path("/usr/lib/locale/C.utf8").exists() else "C"
    return env


def in_ci() -> bool:
    """True under ``.ci/run`` (``BOOSTRANK_CI=1``): unavailable services are failures."""
    return os.environ.get("BOOSTRANK_CI", "") not in ("", "0")


def wait_for(predicate, timeout: float, interval: float = 0.1) -> bool:
    """Poll ``predicate()`` until true or ``timeout`` seconds pass; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def postgres_or_skip() -> PostgresServer:
    """Start a server, or skip the test (fail under CI) saying why it could not start."""
    import pytest

    try:
        driver_module()
        return PostgresServer().start()
    except PostgresUnavailable as exc:
        message = f"PostgreSQL test server could not be started: {exc}"
        if in_ci():
            pytest.fail(message + " (BOOSTRANK_CI=1: CI must run the PostgreSQL tests)",
                        pytrace=False)
        pytest.skip(message)
