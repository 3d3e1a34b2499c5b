"""statement(from, to), its CSV and PDF downloads, and balanceHistory, over HTTP against the live server."""

import base64
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import requests
from django.core import signing
from django.db import connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from wallet.selectors import balance_at
from wallet.services import hold_capture, hold_create, transfer_create, withdrawal_create
from wallet.services.statements import statement_code_valid, statement_link_token
from wallet.signed_links import link_token

pytestmark = pytest.mark.django_db(transaction=True)

BASE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
STATEMENT = """
query($from: DateTime!, $to: DateTime!, $first: Int, $after: String) {
  statement(from: $from, to: $to) {
    from to currency openingBalance closingBalance totalIn totalOut count verificationCode csvUrl pdfUrl
    entries(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor }
      edges { node { id amount direction pending createdAt transaction { id kind note } } }
    }
  }
}
"""
HISTORY = "query($days: Int!) { balanceHistory(days: $days) { at balance } }"


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def history(alice, bob, fund):
    """alice's known history; the statement [BASE + 1 day, BASE + 4 days) holds the middle three posted entries."""
    with at(BASE):
        fund(alice, "100.00")
        fund(bob, "50.00")
    with at(BASE + timedelta(days=1)):
        transfer_create(sender=alice, receiver_username="bob", amount=Decimal("30.00"), idempotency_key="rent",
                        note="=rent, June")  # fmt: skip
    with at(BASE + timedelta(days=2)):
        transfer_create(sender=bob, receiver_username="alice", amount=Decimal("5.00"), idempotency_key="back")
        refused = transfer_create(sender=alice, receiver_username="bob", amount=Decimal("999.00"), idempotency_key="x")
        assert refused.error is not None  # refused: no entry
    with at(BASE + timedelta(days=3)):
        hold = hold_create(payer=alice, receiver_username="bob", amount=Decimal("20.00"), idempotency_key="hold",
                           expires_in_seconds=3600).transaction  # fmt: skip
        hold_capture(user=alice, hold_id=hold.pk, amount=None, idempotency_key="capture")
    with at(BASE + timedelta(days=4)):  # exactly at `to`: the next statement's
        withdrawal_create(user=alice, amount=Decimal("10.00"), idempotency_key="out")
    return BASE + timedelta(days=1), BASE + timedelta(days=4)


def test_a_statement_of_a_known_history(as_alice, alice, history):
    period_from, period_to = history

    statement = as_alice.execute(STATEMENT, {"from": iso(period_from), "to": iso(period_to), "first": 10})["statement"]

    assert {key: statement[key] for key in ("openingBalance", "totalIn", "totalOut", "closingBalance", "count")} == {
        "openingBalance": "100.00",
        "totalIn": "5.00",
        "totalOut": "50.00",
        "closingBalance": "55.00",
        "count": 3,
    }
    assert statement["currency"] == "USD"
    assert datetime.fromisoformat(statement["from"]) == period_from
    assert datetime.fromisoformat(statement["to"]) == period_to
    nodes = [edge["node"] for edge in statement["entries"]["edges"]]
    assert [(n["transaction"]["kind"], n["direction"], n["amount"]) for n in nodes] == [
        ("HOLD_CAPTURE", "DEBIT", "20.00"),  # newest first; the hold's pending entries are not in it
        ("TRANSFER", "CREDIT", "5.00"),
        ("TRANSFER", "DEBIT", "30.00"),
    ]
    assert not any(n["pending"] for n in nodes)
    assert statement["entries"]["totalCount"] == 3
    # Both ends agree with balanceAt, and the statement that follows opens where this one closes.
    assert balance_at(wallet=alice.wallet, at=period_from) == Decimal("100.00")
    after = as_alice.execute(STATEMENT, {"from": iso(period_to), "to": iso(period_to + timedelta(days=1))})
    assert after["statement"]["openingBalance"] == "55.00" and after["statement"]["closingBalance"] == "45.00"
    assert statement_code_valid(user=alice, period_from=period_from, period_to=period_to,
                                code=statement["verificationCode"])  # fmt: skip
    assert not statement_code_valid(user=alice, period_from=period_from, period_to=period_to + timedelta(seconds=1),
                                    code=statement["verificationCode"])  # fmt: skip


def test_the_entries_page_through_exactly_the_period(as_alice, alice, fund):
    for day in range(7):
        with at(BASE + timedelta(days=day, hours=1)):
            fund(alice, f"{day + 1}.00")
    period = {"from": iso(BASE + timedelta(days=2)), "to": iso(BASE + timedelta(days=6))}  # days 2, 3, 4, 5

    seen, after = [], None
    while True:
        page = as_alice.execute(STATEMENT, {**period, "first": 3, "after": after})["statement"]["entries"]
        seen += [edge["node"]["amount"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == ["6.00", "5.00", "4.00", "3.00"]


def test_the_csv_and_pdf_download_and_agree_with_the_statement(as_alice, alice, history):
    period_from, period_to = history
    statement = as_alice.execute(STATEMENT, {"from": iso(period_from), "to": iso(period_to)})["statement"]

    download = requests.get(statement["csvUrl"], timeout=10)
    assert download.status_code == 200 and download.headers["Content-Type"].startswith("text/csv")
    assert "Content-Length" not in download.headers  # streamed
    rows = list(csv.DictReader(io.StringIO(download.text)))
    assert list(rows[0]) == ["time", "transaction_id", "kind", "counterparty", "note", "reference", "in", "out",
                             "balance_after"]  # fmt: skip
    assert [(r["kind"], r["counterparty"], r["in"], r["out"], r["balance_after"]) for r in rows] == [
        ("TRANSFER", "bob", "", "30.00", "70.00"),
        ("TRANSFER", "bob", "5.00", "", "75.00"),
        ("HOLD_CAPTURE", "bob", "", "20.00", "55.00"),
    ]
    assert rows[0]["note"] == "'=rent, June"  # a spreadsheet must not run a payer's note as a formula
    assert sum(Decimal(r["in"] or 0) for r in rows) == Decimal(statement["totalIn"])
    assert sum(Decimal(r["out"] or 0) for r in rows) == Decimal(statement["totalOut"])
    assert len(rows) == statement["count"]

    pdf = requests.get(statement["pdfUrl"], timeout=10)
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for expected in ("Wallet statement", "alice", "2026-06-02 09:00:00 UTC to 2026-06-05 09:00:00 UTC",
                     "Opening balance: 100.00", "Closing balance: 55.00", "Total in: 5.00", "Total out: 50.00",
                     "Entries: 3", statement["verificationCode"], "HOLD_CAPTURE"):  # fmt: skip
        assert expected in text.replace(":  ", ": "), expected


def test_a_long_pdf_has_every_entry_across_its_pages(as_alice, alice, bob, fund):
    with at(BASE):
        fund(alice, "500.00")
        for n in range(120):
            transfer_create(sender=alice, receiver_username="bob", amount=Decimal("1.00"), idempotency_key=f"t{n}",
                            note=f"item {n}")  # fmt: skip
    statement = as_alice.execute(STATEMENT, {"from": iso(BASE), "to": iso(BASE + timedelta(days=1))})["statement"]

    reader = PdfReader(io.BytesIO(requests.get(statement["pdfUrl"], timeout=10).content))

    assert len(reader.pages) >= 3
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert all(f"item {n}\n" in text or f"item {n} " in text for n in range(120))
    assert "Closing balance: 380.00" in text.replace(":  ", ": ")


def test_the_downloads_are_streaming_responses(alice, history):
    period_from, period_to = history
    token = statement_link_token(user=alice, period_from=period_from, period_to=period_to)
    for file_format in ("csv", "pdf"):
        response = Client().get(f"/statements/{token}/{file_format}")
        assert isinstance(response, StreamingHttpResponse) and response.streaming
        assert response.status_code == 200 and b"".join(response.streaming_content)

    # A client that goes away halfway: the download's transaction and cursor end with it.
    abandoned = Client().get(f"/statements/{token}/csv")
    assert next(iter(abandoned.streaming_content)).startswith(b"time,")
    assert connection.in_atomic_block
    abandoned.close()
    assert not connection.in_atomic_block
    assert balance_at(wallet=alice.wallet, at=period_to) == Decimal("55.00")  # the connection still serves


def _forged(token: str, **claims) -> str:
    # The token is payload:timestamp:signature; swap the payload, keep the signature.
    payload, rest = token.split(":", 1)
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    encoded = base64.urlsafe_b64encode(json.dumps({**decoded, **claims}, separators=(",", ":")).encode())
    return f"{encoded.decode().rstrip('=')}:{rest}"


def test_tampered_expired_and_other_users_links_are_404(live_server, alice, bob, history):
    period_from, period_to = history
    token = statement_link_token(user=alice, period_from=period_from, period_to=period_to)
    url = f"{live_server.url}/statements/{{}}/csv"
    assert requests.get(url.format(token), timeout=10).status_code == 200

    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    for_bob = _forged(token, u=bob.pk)  # alice's signature over bob's statement
    longer = _forged(token, t=(period_to + timedelta(days=30)).isoformat())
    receipt_salted = link_token(salt="wallet.receipt", claims={"u": alice.pk, "f": period_from.isoformat(),
                                                               "t": period_to.isoformat()})  # fmt: skip
    with mock.patch.object(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(
            int(timezone.now().timestamp()) - 16 * 60)):  # fmt: skip
        expired = statement_link_token(user=alice, period_from=period_from, period_to=period_to)
    for bad in (tampered, for_bob, longer, receipt_salted, expired):
        assert requests.get(url.format(bad), timeout=10).status_code == 404, bad
    assert requests.get(f"{live_server.url}/statements/{token}/xlsx", timeout=10).status_code == 404
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert requests.get(url.format(token), timeout=10).status_code == 404


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [
        (BASE, BASE),  # empty
        (BASE + timedelta(days=1), BASE),  # inverted
        (BASE, BASE + timedelta(days=366, seconds=1)),  # longer than 366 days
    ],
)
def test_bad_ranges_are_bad_user_input(as_alice, period_from, period_to):
    response = as_alice.request(STATEMENT, {"from": iso(period_from), "to": iso(period_to)})

    assert response.data is None and response.error_codes == ["BAD_USER_INPUT"]


def test_a_year_is_a_valid_range(as_alice):
    statement = as_alice.execute(STATEMENT, {"from": iso(BASE), "to": iso(BASE + timedelta(days=366))})["statement"]
    assert statement["count"] == 0 and statement["openingBalance"] == statement["closingBalance"] == "0.00"


def test_balance_history_is_balance_at_each_day_end(as_alice, alice, bob, fund):
    now = timezone.now()
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with at(today - timedelta(days=10)):
        fund(alice, "100.00")
    with at(today - timedelta(days=3, hours=-5)):  # three days ago, 05:00 UTC
        transfer_create(sender=alice, receiver_username="bob", amount=Decimal("40.00"), idempotency_key="a")
    with at(today - timedelta(days=2)):  # exactly at midnight: the day that starts then
        fund(alice, "7.00")
    with at(today - timedelta(microseconds=1)):  # the last moment of yesterday
        fund(alice, "1.00")
    with at(now - timedelta(seconds=1)):
        fund(alice, "0.50")

    points = as_alice.execute(HISTORY, {"days": 5})["balanceHistory"]

    moments = [datetime.fromisoformat(point["at"]) for point in points]
    assert moments[:-1] == [today - timedelta(days=3), today - timedelta(days=2), today - timedelta(days=1), today]
    assert moments[-1] >= now  # the balance now
    assert [point["balance"] for point in points] == ["100.00", "60.00", "67.00", "68.00", "68.50"]
    alice.wallet.refresh_from_db()
    assert points[-1]["balance"] == str(alice.wallet.balance)
    for moment, point in zip(moments, points, strict=True):
        assert str(balance_at(wallet=alice.wallet, at=moment)) == point["balance"]
    assert len(as_alice.execute(HISTORY, {"days": 366})["balanceHistory"]) == 366
    assert len(as_alice.execute(HISTORY, {"days": 1})["balanceHistory"]) == 1


@pytest.mark.parametrize("days", [0, -1, 367])
def test_balance_history_days_out_of_range_are_bad_user_input(as_alice, days):
    response = as_alice.request(HISTORY, {"days": days})

    assert response.data is None and response.error_codes == ["BAD_USER_INPUT"]


def test_balance_history_is_one_query_however_many_days(alice, fund, token_for):
    fund(alice, "10.00")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(alice)}")

    def count(days: int) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            body = client.post("/graphql/", {"query": HISTORY, "variables": {"days": days}},
                               content_type="application/json").json()  # fmt: skip
        assert "errors" not in body and len(body["data"]["balanceHistory"]) == days
        ledger = [q for q in queries.captured_queries if "wallet_ledgerentry" in q["sql"]]
        return len(ledger), len(queries.captured_queries)

    count(2)  # the connection's first request prepares its statements
    ledger, total = count(2)
    assert ledger == 1  # the whole history in one query of the ledger
    assert count(30) == count(366) == (ledger, total)
