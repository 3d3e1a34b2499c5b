"""The scheduler's pass: the periodic steps, each given the pass's time. `manage.py run_scheduler` runs a pass every
few seconds with the real time; tests call `scheduler_pass(now=)` with the time they want.

Adding a periodic step is one line in SCHEDULER_STEPS. A step that raises is logged and the pass goes on with the
others; the next pass runs it again (every step is idempotent).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from wallet.services.holds import holds_release_expired
from wallet.services.payment_requests import payment_requests_expire
from wallet.services.standing_orders import standing_orders_run_due

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchedulerStep:
    name: str
    run: Callable[[datetime], object]  # given the pass's time; returns what it did, for the log


SCHEDULER_STEPS: list[SchedulerStep] = [
    SchedulerStep("expired holds released", lambda now: holds_release_expired(now=now)),
    SchedulerStep("standing order occurrences", lambda now: standing_orders_run_due(now=now)),
    SchedulerStep("payment requests expired", lambda now: payment_requests_expire(now=now)),
]


@dataclass(frozen=True)
class StepOutcome:
    name: str
    result: object = None
    error: BaseException | None = None


def scheduler_pass(*, now: datetime, steps: list[SchedulerStep] | None = None) -> list[StepOutcome]:
    """Runs every step once at `now`, in order."""
    outcomes = []
    for step in SCHEDULER_STEPS if steps is None else steps:
        try:
            outcomes.append(StepOutcome(step.name, result=step.run(now)))
        except Exception as error:  # one failing step must not stop the others
            logger.exception("scheduler step %r failed; the next pass runs it again", step.name)
            outcomes.append(StepOutcome(step.name, error=error))
    return outcomes
