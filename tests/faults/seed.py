"""Seeds funded users into the fault tests' database, as its own process (the test process uses another database).

    DATABASE_URL=postgres://… python -m tests.faults.seed PREFIX COUNT AMOUNT

Registers PREFIX1…PREFIXCOUNT through the services, tops each up with AMOUNT, and prints
[[username, access token], …] as JSON. The tokens are signed with this process's DJANGO_SECRET_KEY: run it
with the server's environment.
"""

import json
import os
import sys
from decimal import Decimal


def main() -> None:
    prefix, count, amount = sys.argv[1], int(sys.argv[2]), Decimal(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
    import django
    from django.conf import settings

    django.setup()
    # Password hashing is deliberately slow; these users never log in with a password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

    from wallet.services import money_add, tokens_issue, user_register

    users = []
    for index in range(1, count + 1):
        user = user_register(username=f"{prefix}{index}", password="fault-Passw0rd-2026", mobile_number=None)
        result = money_add(user=user, amount=amount, idempotency_key=f"seed-{prefix}{index}")
        assert result.error is None, result.error
        users.append([user.username, tokens_issue(user=user).token])
    print(json.dumps(users))


if __name__ == "__main__":
    main()
