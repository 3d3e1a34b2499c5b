"""The load generator: wrk (C, one event loop per thread) with bench/load.lua, so that generating the load costs a
small fraction of the CPU it measures (the Python load generator it replaced used 1.1-1.5 ms per request).

`run()` starts wrk for one point (a mode at a number of connections for a duration), waits for it, and returns its
counts and latency percentiles, its own CPU per request and the CPU each given process group used meanwhile
(bench/cpu.py). wrk's own CPU is read from /proc when its load thread starts and just before it ends: the
difference is the load's (its startup and final report are reported apart, with the whole process's CPU).
"""

import json
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path

from bench import cpu

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "load.lua"
MODES = ("spread", "hot", "add_money", "batch", "reads")
RESULT_MARK = "BENCH_RESULT "
# One event loop is plenty for a few hundred requests a second, and each thread loads the users file again.
THREADS = 1


def program() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk was not found (apt-get install wrk; bench/run installs it when run as root)")
    return found


def write_users(path: Path, users: list[tuple[str, str]]) -> Path:
    """The file bench/load.lua reads: one "username<TAB>access token" line per user."""
    path.write_text("".join(f"{name}\t{token}\n" for name, token in users))
    return path


def command(
    url: str,
    *,
    mode: str,
    connections: int,
    duration_s: int,
    users_file: Path,
    receiver: str | None = None,
    batch_size: int = 100,
    seed: int = 1,
    prefix: str | None = None,
) -> list[str]:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    arguments = [
        f"mode={mode}",
        f"users={users_file}",
        # Unique to this run: its idempotency keys are new to the service.
        f"prefix={prefix or 'wrk' + secrets.token_hex(6)}",
        f"seed={seed}",
        f"batch={batch_size}",
    ]
    if receiver:
        arguments.append(f"receiver={receiver}")
    return [
        program(),
        f"--threads={min(THREADS, connections)}",
        f"--connections={connections}",
        f"--duration={duration_s}s",
        # A batch of 100 at 32 clients can take seconds; wrk's default (2 s) would count it as failed. (wrk keeps a
        # latency bucket per microsecond up to the timeout, so not more than needed.)
        "--timeout=30s",
        f"--script={SCRIPT}",
        url,
        "--",
        *arguments,
    ]


def parse(output: str) -> dict:
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise RuntimeError(f"wrk printed no result:\n{output[-3000:]}")


def run(
    url: str,
    *,
    mode: str,
    connections: int,
    duration_s: float,
    users_file: Path,
    workdir: Path,
    groups: cpu.Groups | None = None,
    receiver: str | None = None,
    batch_size: int = 100,
    seed: int = 1,
) -> dict:
    """One wrk run; `groups` (name -> roots) are sampled before and after it for their CPU."""
    seconds = max(1, round(duration_s))  # wrk takes whole seconds
    argv = command(
        url,
        mode=mode,
        connections=connections,
        duration_s=seconds,
        users_file=users_file,
        receiver=receiver,
        batch_size=batch_size,
        seed=seed,
    )
    output_path = workdir / f"wrk-{mode}-{connections}-{secrets.token_hex(3)}.out"
    before = cpu.sample(groups or {})
    started = time.monotonic()
    with output_path.open("w+") as output:
        process = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        startup_s, at_load_end_s = _load_thread_cpu(process, seconds)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall_s = time.monotonic() - started
        after = cpu.sample(groups or {})
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        raise RuntimeError(f"wrk exited with {process.returncode}:\n{text[-3000:]}")
    raw = parse(text)
    whole_s = usage.ru_utime + usage.ru_stime
    load_s = at_load_end_s - startup_s
    if load_s <= 0:  # the load thread was not seen running: count the whole process (an upper bound)
        startup_s, at_load_end_s, load_s = 0.0, whole_s, whole_s
    result = summarize(
        raw,
        mode=mode,
        connections=connections,
        wall_s=wall_s,
        loadgen_cpu_s=load_s,
        group_cpu_s=cpu.used(before, after),
    )
    result["loadgen_cpu"] = {
        "startup_s": round(startup_s, 3),
        "load_s": round(load_s, 3),
        "report_s": round(max(0.0, whole_s - at_load_end_s), 3),
        "whole_process_s": round(whole_s, 3),
        "user_s": round(usage.ru_utime, 3),
        "system_s": round(usage.ru_stime, 3),
        "ms_per_request_whole_process": _ms_per(whole_s, raw["requests"]),
    }
    return result


def _load_thread_cpu(process: subprocess.Popen, duration_s: int, timeout_s: float = 30) -> tuple[float, float]:
    """wrk's CPU seconds when its load thread starts and just before it ends, from /proc (schedstat: nanoseconds;
    stat's clock ticks are too coarse for a few ms). Before the thread starts, wrk loads the script and the users
    file into each thread's Lua state; after it ends, wrk computes its statistics, in a pass over a bucket per
    microsecond between the fastest and slowest response. Neither is the load's."""
    tasks = Path(f"/proc/{process.pid}/task")

    def alive() -> bool:
        # Not process.poll(): that would reap wrk, and wait4() would lose its resource usage.
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None

    def running() -> tuple[int, float]:
        threads = os.listdir(tasks)
        return len(threads), sum(int((tasks / task / "schedstat").read_text().split()[0]) for task in threads) / 1e9

    started_at, last = None, 0.0
    deadline = time.monotonic() + timeout_s
    while started_at is None and time.monotonic() < deadline and alive():
        try:
            threads, seconds = running()
        except (FileNotFoundError, ProcessLookupError):
            break
        if threads > 1:
            started_at = last = seconds
        else:
            time.sleep(0.002)
    if started_at is None:
        return 0.0, 0.0
    time.sleep(max(0.0, duration_s - 0.3))  # the thread stops within ~0.1 s after the duration
    while alive():
        try:
            threads, seconds = running()
        except (FileNotFoundError, ProcessLookupError):  # a thread ended while we read: the last sample stands
            break
        if threads <= 1:
            break
        last = seconds
        time.sleep(0.002)
    return started_at, last


def summarize(
    raw: dict, *, mode: str, connections: int, wall_s: float, loadgen_cpu_s: float, group_cpu_s: dict[str, float]
) -> dict:
    window_s = raw["duration_us"] / 1e6
    requests = raw["requests"]
    failed = raw["http_error"] + raw["graphql_error"] + raw["payload_error"]
    socket_errors = raw["socket_errors"]
    latency = raw["latency_us"]

    def ms(value):
        return None if value is None or not requests else round(value / 1000, 2)

    statuses: dict[str, int] = {}
    for part in filter(None, raw["http_statuses"].split(",")):
        code, count = part.split(":")
        statuses[code] = statuses.get(code, 0) + int(count)
    per_request = {name: _ms_per(seconds, requests) for name, seconds in group_cpu_s.items()}
    per_request["loadgen"] = _ms_per(loadgen_cpu_s, requests)
    return {
        "mode": mode,
        "concurrency": connections,
        "duration_s": round(window_s, 2),
        "requests": requests,
        "ok": raw["ok"],
        "failed": failed + sum(socket_errors.values()),
        "errors": {
            "http": raw["http_error"],
            "http_statuses": statuses,
            "graphql": raw["graphql_error"],
            "payload": raw["payload_error"],
            "socket": socket_errors,
            "samples": raw["error_samples"],
        },
        "per_second": round(raw["ok"] / window_s, 1) if window_s else 0.0,
        "requests_per_second": round(requests / window_s, 1) if window_s else 0.0,
        "p50_ms": ms(latency["p50"]),
        "p95_ms": ms(latency["p95"]),
        "p99_ms": ms(latency["p99"]),
        "mean_ms": ms(latency["mean"]),
        "max_ms": ms(latency["max"]),
        "cpu_ms_per_request": per_request,
        "cpu_s": {
            **{name: round(seconds, 3) for name, seconds in group_cpu_s.items()},
            "loadgen": round(loadgen_cpu_s, 3),
        },
        "wall_s": round(wall_s, 2),
    }


def _ms_per(seconds: float, count: int) -> float | None:
    return round(1000 * seconds / count, 3) if count else None
