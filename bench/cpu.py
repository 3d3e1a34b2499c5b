"""CPU time of process groups, from /proc: where the machine's cores go during a measurement.

A group is one or more process trees (a root and all its descendants). A tree's CPU is the user + system time of
every live process in it plus the time of the children each has waited for (cutime, cstime): a PostgreSQL backend
or a Celery child that exits between two samples is still counted, in its parent's cutime, so the difference of
two samples is what the tree used in between, whatever started or ended meanwhile.
"""

import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    # The command name (field 2) may hold spaces and parentheses: split after its closing one.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def _children(pid: int) -> list[int]:
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            children += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):  # the thread ended
            continue
    return children


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU seconds of `root` and its descendants, the exited and waited-for ones included."""
    ticks, pending, seen = 0, [root], set()
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            fields = _stat_fields(pid)
            pending += _children(pid)
        except (FileNotFoundError, ProcessLookupError):  # exited since we listed it
            continue
        ticks += sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / CLOCK_TICKS


# name -> a function giving the roots of that group's trees now (a server may replace its processes).
Groups = dict[str, Callable[[], Iterable[int]]]


def sample(groups: Groups) -> dict[str, float]:
    return {name: sum(tree_cpu_seconds(pid) for pid in roots()) for name, roots in groups.items()}


def used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: max(0.0, after[name] - before.get(name, 0.0)) for name in after}


def wait_until_idle(groups: Groups, *, quiet_cpu_s: float = 0.03, interval: float = 0.5, timeout: float = 60) -> float:
    """Waits until every group uses less than `quiet_cpu_s` of CPU over `interval` (started processes have finished
    importing, a drained queue is quiet); returns the seconds waited."""
    began = time.monotonic()
    previous = sample(groups)
    while time.monotonic() - began < timeout:
        time.sleep(interval)
        current = sample(groups)
        if all(spent < quiet_cpu_s for spent in used(previous, current).values()):
            break
        previous = current
    return time.monotonic() - began
