"""The webhook retry schedule with the default settings: exponential, jittered, about a day in all."""

from datetime import timedelta

from django.conf import settings

from wallet.events.webhooks import retry_delay


def test_retries_back_off_exponentially_with_jitter_over_about_a_day():
    retries = range(1, settings.WEBHOOK_MAX_ATTEMPTS)  # the waits between the attempts
    base = settings.WEBHOOK_RETRY_BASE_SECONDS

    for attempt in retries:
        nominal = base * 3 ** (attempt - 1)
        delays = [retry_delay(attempt).total_seconds() for _ in range(200)]
        assert all(0.8 * nominal <= delay <= 1.2 * nominal for delay in delays), attempt
        assert max(delays) - min(delays) > 0.2 * nominal  # jittered, not in step

    longest = sum((retry_delay(attempt) for attempt in retries), timedelta())
    assert timedelta(hours=20) < longest < timedelta(hours=34)
    assert retry_delay(1) < timedelta(minutes=1)  # the first retry comes soon
