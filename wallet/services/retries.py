"""Transient database failures: bounded lock waits and bounded retries on the money path, and what any database
failure means for the client (retry later, or a bug).

Every money movement is one call of the posting engine (`posting.post`), whose database transaction first locks its
wallets. That transaction waits for a lock at most WALLET_LOCK_TIMEOUT_MS and runs no statement longer than
WALLET_STATEMENT_TIMEOUT_MS (transaction-local settings, so only the money path is bounded). A wait that runs out
rolls the transaction back and the client gets the retryable RETRY_LATER instead of a hung request. Deadlocks
(40P01) and serialization failures (40001), which the ascending lock order should prevent, are retried a few times
with a small jittered backoff; the idempotency key makes a retry safe (one that finds its key committed replays it).
"""

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import InterfaceError, OperationalError, connection

from wallet.errors import RetryableError, ServiceUnavailable, WalletBusy

logger = logging.getLogger(__name__)

T = TypeVar("T")

# SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html)
SERIALIZATION_FAILURE = "40001"
DEADLOCK_DETECTED = "40P01"
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout ran out
QUERY_CANCELED = "57014"  # statement_timeout ran out (or an operator cancelled the query)
CONFLICTS = frozenset({SERIALIZATION_FAILURE, DEADLOCK_DETECTED})
BUSY = CONFLICTS | {LOCK_NOT_AVAILABLE, QUERY_CANCELED}
# Connection exceptions, insufficient resources (too many connections, disk full, out of memory), operator
# intervention (shutdown, starting up) and system errors: the server, not the request, is at fault.
UNAVAILABLE_CLASSES = frozenset({"08", "53", "57", "58"})

ATTEMPTS = 3  # of a money transaction that meets a deadlock or serialization failure
BACKOFF_SECONDS = 0.02  # the first retry waits up to this, the next up to twice as long


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error Django wrapped (psycopg2 keeps it as `pgcode`)."""
    return getattr(error.__cause__, "pgcode", None)


def retrying_conflicts(work: Callable[[], T]) -> T:
    """Runs `work` (one money transaction, with its idempotent replay) and retries it after a deadlock or a
    serialization failure, at most ATTEMPTS times in all. A lock wait or statement that ran out of time, or a
    conflict that outlasts the retries, raises WalletBusy: nothing was committed. Inside an outer transaction
    nothing is retried (the outer one still holds its locks), the error just becomes WalletBusy."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return work()
        except OperationalError as error:
            code = sqlstate(error)
            if code not in BUSY:
                raise
            if code in CONFLICTS and attempt < ATTEMPTS and not connection.in_atomic_block:
                logger.warning("money transaction hit %s (attempt %d of %d); retrying", code, attempt, ATTEMPTS)
                time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** (attempt - 1)))
                continue
            logger.warning("money transaction gave up on %s after %d attempt(s): %s", code, attempt, error)
            raise WalletBusy() from error
    raise AssertionError("unreachable")  # pragma: no cover


def retryable_error(error: BaseException | None) -> RetryableError | None:
    """What a failure means for the client if it is transient (retry later), else None (a bug: masked)."""
    if error is None:
        return None
    if isinstance(error, RetryableError):
        return error
    if isinstance(error, InterfaceError):  # psycopg2: the connection is closed
        return ServiceUnavailable()
    if not isinstance(error, OperationalError):
        return None
    code = sqlstate(error)
    if code in BUSY:
        return RetryableError()
    if code is not None:
        return ServiceUnavailable() if code[:2] in UNAVAILABLE_CLASSES else None
    cause = error.__cause__
    if type(cause).__module__.startswith("psycopg2"):
        # libpq's own errors carry no SQLSTATE: connection refused or lost, server closed the connection.
        return ServiceUnavailable()
    return None
