"""Start and stop a throwaway PostgreSQL server for tests and benchmarks.

    python scripts/throwaway_postgres.py start DIR [--durable]   # prints its DATABASE_URL
    python scripts/throwaway_postgres.py stop DIR

Tests of outages use `pause` and `resume` (the server stops and starts again on the same port and data).

PostgreSQL refuses to run as root, so as root the server runs as the
unprivileged `postgres` account. It listens on 127.0.0.1 only, on a free port,
with trust authentication: it is for this machine's tests, nothing else.
"""

import argparse
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
from pathlib import Path

SERVER_ACCOUNT = "postgres"


def find_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl, from PATH or Debian's layout."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "pg_ctl").exists() and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


def available() -> bool:
    return find_bin_dir() is not None


def _as_server_account(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_ACCOUNT, "--", *command]
    return command


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(directory: Path, *, durable: bool = False, settings: tuple[str, ...] = ()) -> str:
    """Initialises and starts a server in `directory`; returns its DATABASE_URL.

    `settings` are more server settings, e.g. ("max_connections=20",)."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) were not found")
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # The server account must be able to reach the directory: give it one
        # of its own, e.g. a fresh tempfile.mkdtemp(), not one inside root's.
        account = pwd.getpwnam(SERVER_ACCOUNT)
        os.chown(directory, account.pw_uid, account.pw_gid)
    data = directory / "data"
    port = _free_port()
    subprocess.run(
        _as_server_account(
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = [
        f"-p {port}",
        "-c listen_addresses=127.0.0.1",
        f"-c unix_socket_directories={directory}",
        "-c max_connections=200",
    ]
    if not durable:
        # Tests prove correctness, not durability: skip the disk flushes.
        options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
    options += [f"-c {setting}" for setting in settings]
    (directory / "options").write_text(" ".join(options))
    resume(directory)
    (directory / "port").write_text(str(port))
    return f"postgres://postgres@127.0.0.1:{port}/postgres"


def resume(directory: Path) -> None:
    """Starts the server in `directory` (made by `start`) again, with the same port and settings."""
    subprocess.run(
        _as_server_account(
            [
                str(find_bin_dir() / "pg_ctl"),
                "-D",
                str(directory / "data"),
                "-l",
                str(directory / "server.log"),
                "-w",
                "-o",
                (directory / "options").read_text(),
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def pause(directory: Path) -> None:
    """Stops the server in `directory` the way an operator's fast shutdown does (open transactions roll back,
    clients are disconnected) and keeps its data for `resume`."""
    subprocess.run(
        _as_server_account([str(find_bin_dir() / "pg_ctl"), "-D", str(directory / "data"), "-m", "fast", "-w", "stop"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def stop(directory: Path) -> None:
    bin_dir = find_bin_dir()
    data = directory / "data"
    if bin_dir is None or not data.exists():
        return
    subprocess.run(
        _as_server_account([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
        check=False,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--durable", action="store_true", help="keep fsync and synchronous_commit on")
    args = parser.parse_args()
    if args.action == "start":
        print(start(args.directory.resolve(), durable=args.durable))
    else:
        stop(args.directory.resolve())


if __name__ == "__main__":
    sys.exit(main())
