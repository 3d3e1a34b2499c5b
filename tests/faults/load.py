"""What the fault tests' clients do, and what they check afterwards.

`LoadClient` threads send transfers as a careful client does: one idempotency key per transfer, retried with that same
key until the answer is definitive. The checks compare what the clients learned with what the database holds.
"""

import base64
import json
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal

import requests

from tests.faults.stack import Stack
from wallet.errors import RetryableError, ServiceUnavailable, WalletBusy

TRANSFER = (
    "mutation Transfer($input: TransferInput!) {"
    " transfer(input: $input) { transaction { id status amount } replayed errors { code } } }"
)
RETRYABLE_CODES = {"RETRY_LATER", "SERVICE_UNAVAILABLE"}
# The only words a retryable error may carry: the database's own never reach the client.
RETRYABLE_MESSAGES = {cls.default_message for cls in (RetryableError, WalletBusy, ServiceUnavailable)}

DONE, RETRYABLE, CONNECTION, UNEXPECTED = "done", "retryable", "connection", "unexpected"


@dataclass
class Reply:
    kind: str  # DONE, RETRYABLE, CONNECTION or UNEXPECTED
    started: float
    ended: float
    status: int | None = None
    code: str | None = None
    message: str | None = None
    retry_after: str | None = None
    transaction: dict | None = None
    replayed: bool | None = None
    detail: str = ""

    @property
    def transaction_pk(self) -> int:
        return int(base64.b64decode(self.transaction["id"]).decode().split(":")[1])


def send_transfer(url: str, token: str, receiver: str, amount: Decimal, key: str) -> Reply:
    variables = {"input": {"receiverUsername": receiver, "amount": str(amount), "idempotencyKey": key}}
    started = time.monotonic()
    try:
        response = requests.post(
            url,
            json={"query": TRANSFER, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
            timeout=(5, 60),
        )
    except requests.RequestException as error:
        # The server went away mid-request (a killed worker, a refused connection): the outcome is unknown.
        return Reply(CONNECTION, started, time.monotonic(), detail=repr(error))
    ended = time.monotonic()
    try:
        body = response.json()
    except ValueError:
        return Reply(UNEXPECTED, started, ended, status=response.status_code, detail=response.text[:300])
    errors = body.get("errors") or []
    if errors:
        extensions = [error.get("extensions") or {} for error in errors]
        retryable = all(ext.get("retryable") is True and ext.get("code") in RETRYABLE_CODES for ext in extensions)
        return Reply(
            RETRYABLE if retryable and body.get("data") is None else UNEXPECTED,
            started,
            ended,
            status=response.status_code,
            code=extensions[0].get("code"),
            message=errors[0].get("message"),
            retry_after=response.headers.get("Retry-After"),
            detail=json.dumps(body)[:300],
        )
    payload = (body.get("data") or {}).get("transfer") or {}
    if payload.get("transaction") is None:
        return Reply(UNEXPECTED, started, ended, status=response.status_code, detail=json.dumps(body)[:300])
    return Reply(
        DONE,
        started,
        ended,
        status=response.status_code,
        transaction=payload["transaction"],
        replayed=payload["replayed"],
    )


@dataclass
class Transfer:
    """One transfer a client means to make, with every answer it got for its idempotency key."""

    sender: str
    token: str
    receiver: str
    amount: Decimal
    key: str
    replies: list[Reply] = field(default_factory=list)

    @property
    def outcome(self) -> Reply | None:
        return next((reply for reply in self.replies if reply.kind == DONE), None)

    def send(self, url: str) -> Reply:
        reply = send_transfer(url, self.token, self.receiver, self.amount, self.key)
        self.replies.append(reply)
        return reply


class LoadClient(threading.Thread):
    """Sends transfers between random users, one at a time; retries each with its key until it is definitive."""

    def __init__(self, url: str, users: list[tuple[str, str]], *, seed: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.users, self.stop = url, users, stop
        self.rng = random.Random(seed)
        self.transfers: list[Transfer] = []
        self.crash: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                (sender, token), (receiver, _) = self.rng.sample(self.users, 2)
                amount = Decimal(self.rng.randint(1, 500)) / 100
                transfer = Transfer(sender, token, receiver, amount, f"{sender}-{uuid.uuid4()}")
                self.transfers.append(transfer)
                while not self.stop.is_set() and transfer.send(self.url).kind != DONE:
                    self.stop.wait(self.rng.uniform(0.05, 0.2))  # back off, then retry with the same key
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.crash = error


def run_clients(url: str, users, *, count: int, seed: int):
    stop = threading.Event()
    clients = [LoadClient(url, users, seed=seed * 100 + index, stop=stop) for index in range(count)]
    for client in clients:
        client.start()
    return stop, clients


def stop_clients(stop: threading.Event, clients: list[LoadClient]) -> list[Transfer]:
    stop.set()
    for client in clients:
        client.join(timeout=90)
        assert not client.is_alive(), "a client hung"
        assert client.crash is None, f"a client crashed: {client.crash!r}"
    return [transfer for client in clients for transfer in client.transfers]


def learn_outcomes(url: str, transfers: list[Transfer], *, timeout: float = 60) -> None:
    """Every transfer without a definitive answer replays its key until it learns its outcome."""
    deadline = time.monotonic() + timeout

    def learn(transfer: Transfer) -> None:
        while transfer.outcome is None and time.monotonic() < deadline:
            if transfer.send(url).kind != DONE:
                time.sleep(0.2)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(learn, [transfer for transfer in transfers if transfer.outcome is None]))
    unknown = [transfer.key for transfer in transfers if transfer.outcome is None]
    assert not unknown, f"{len(unknown)} transfers never learned their outcome, e.g. {unknown[:3]}"


def check_replays(url: str, transfers: list[Transfer], *, sample: int, seed: int) -> None:
    """Replaying a key returns the original outcome (replayed: true) and moves nothing: every transfer whose first
    attempt was not definitive, plus a sample of the others."""
    uncertain = [transfer for transfer in transfers if transfer.replies[0].kind != DONE]
    others = [transfer for transfer in transfers if transfer.replies[0].kind == DONE]
    chosen = uncertain + random.Random(seed).sample(others, min(sample, len(others)))

    def replay(transfer: Transfer) -> None:
        reply = transfer.send(url)
        deadline = time.monotonic() + 30
        while reply.kind != DONE and time.monotonic() < deadline:
            time.sleep(0.2)
            reply = transfer.send(url)
        original = transfer.outcome
        assert reply.kind == DONE and reply.replayed is True, (transfer.key, reply)
        assert reply.transaction == original.transaction, (transfer.key, reply.transaction, original.transaction)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(replay, chosen))


def check_books(
    stack: Stack, users: list[tuple[str, str]], transfers: list[Transfer], *, opening: Decimal
) -> dict[str, Decimal]:
    """What the clients learned is exactly what the database holds; balances follow from the outcomes; verify_ledger
    passes. Returns the balances."""
    names = [name for name, _ in users]
    stored = stack.stored_transfers(names)
    learned = {
        (t.sender, t.key): (t.outcome.transaction_pk, t.outcome.transaction["status"], t.amount) for t in transfers
    }
    missing = {key: value for key, value in learned.items() if stored.get(key) != value}
    extra = set(stored) - set(learned)
    assert not missing, f"outcomes the database does not hold: {list(missing.items())[:5]}"
    assert not extra, f"transfers nobody learned of: {list(extra)[:5]}"

    expected = dict.fromkeys(names, opening)
    for transfer in transfers:
        if transfer.outcome.transaction["status"] == "SUCCESS":
            expected[transfer.sender] -= transfer.amount
            expected[transfer.receiver] += transfer.amount
    balances = stack.balances(names)
    assert balances == expected
    assert sum(balances.values()) == opening * len(names)  # conserved

    audit = stack.verify_ledger()
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "ledger OK" in audit.stdout
    return balances


def replies(transfers: list[Transfer]) -> list[Reply]:
    return [reply for transfer in transfers for reply in transfer.replies]


def assert_only_retryable_failures(transfers: list[Transfer]) -> None:
    """No client ever saw anything but an outcome, a retryable error or a broken connection: never a masked
    INTERNAL_SERVER_ERROR, an HTML error page, or the database's own words."""
    unexpected = [reply for reply in replies(transfers) if reply.kind == UNEXPECTED]
    assert not unexpected, f"{len(unexpected)} unexpected answers, e.g. {unexpected[:3]}"
    for reply in replies(transfers):
        if reply.kind == RETRYABLE:
            assert reply.status == 503 and reply.retry_after == "1", reply
            assert reply.message in RETRYABLE_MESSAGES, reply


def summary(transfers: list[Transfer]) -> str:
    """How the answers went, for the test's output: kinds and codes counted."""
    counts: dict[str, int] = {}
    for reply in replies(transfers):
        label = reply.kind + (f" {reply.code}" if reply.code else "")
        counts[label] = counts.get(label, 0) + 1
    return f"{len(transfers)} transfers; answers: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
