"""Fault tests: the service's own processes, a real PostgreSQL, and things breaking for real.

The process-level tests share one `stack` (a throwaway durable PostgreSQL with few connection slots and the service
under gunicorn with three workers) for the package: each uses users of its own and leaves the stack healthy.
"""

import pytest

from tests.faults.stack import Stack


@pytest.fixture(scope="package")
def stack():
    # 30 slots: three workers, the tests' own short connections, and room for a test to take all the rest.
    stack = Stack(workers=3, max_connections=30)
    try:
        yield stack
    finally:
        stack.close()


@pytest.fixture
def healthy(stack):
    """The stack, serving with all its workers, before and after the test."""
    stack.wait_for_workers()
    stack.wait_until_serving(timeout=60)
    yield stack
    stack.wait_for_workers()
    stack.wait_until_serving(timeout=60)
