"""The disk holding receipt PDFs fills up: the receipt is recorded FAILED, the money moves anyway, no partial PDF is
stored or served, and once there is space again `retry_receipts` makes a whole, valid PDF.

Receipt PDFs live in PostgreSQL (`Receipt.pdf`, a bytea column), not in a directory, so the full disk is
PostgreSQL's. Two ways, both real PostgreSQL errors (SQLSTATE 53100, disk_full) on the PDF's write:
- `tmpfs`: the receipts table moves to a tablespace on a tiny tmpfs mounted for the test, its one page keeps too
  little room for a PDF, and a file fills the tmpfs: storing a PDF must extend the table (or its TOAST table), and
  the kernel answers ENOSPC. Needs root, permission to mount, and a database server on this machine that we are
  superuser of.
- `trigger`: a trigger raises disk_full on any write of a PDF, on any PostgreSQL.
"""

import errno
import os
import subprocess
import tempfile
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from django.core.management import call_command
from django.db import connection
from pypdf import PdfReader

from tests.support.api import GraphQLApi
from wallet.ledger_audit import audit_ledger
from wallet.models import Receipt, Wallet
from wallet.services import receipt_link_token

pytestmark = pytest.mark.django_db(transaction=True)

TRANSFER = (
    "mutation Transfer($input: TransferInput!) {"
    " transfer(input: $input) { transaction { id status } wallet { balance } errors { code } } }"
)
RECEIPT = "query Receipt($id: ID!) { transaction(id: $id) { receipt { status url verificationCode } } }"


def execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


class TriggerDisk:
    """Every write of a PDF fails as a full disk would make it fail."""

    evidence = "could not extend file: No space left on device"

    def fill(self) -> None:
        execute(
            """
            CREATE FUNCTION wallet_test_disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
            END $$;
            CREATE TRIGGER wallet_test_disk_full BEFORE INSERT OR UPDATE ON wallet_receipt
                FOR EACH ROW WHEN (NEW.pdf IS NOT NULL) EXECUTE FUNCTION wallet_test_disk_full();
            """
        )

    def free(self) -> None:
        execute(
            "DROP TRIGGER IF EXISTS wallet_test_disk_full ON wallet_receipt;"
            " DROP FUNCTION IF EXISTS wallet_test_disk_full();"
        )

    def close(self) -> None:
        self.free()


class TmpfsDisk:
    """The receipts table on a tablespace on a 512 KiB tmpfs that a filler file can fill up."""

    # A live row this big (incompressible, kept in line) leaves the table's first page about 900 bytes: room for
    # the receipts' rows and their status changes, none for a PDF (about 1.8 KB).
    PLACEHOLDER_BYTES = 447 * 16

    TABLESPACE = "wallet_test_full_disk"
    evidence = 'could not extend file "pg_tblspc/'  # PostgreSQL's words for the kernel's ENOSPC

    def __init__(self) -> None:
        self.mount_point = Path(tempfile.mkdtemp(prefix="wallet-receipts-disk-"))
        self.mounted = self.moved = False
        account = _server_account()
        options = f"size=512k,mode=0700,uid={account.st_uid},gid={account.st_gid}"
        mounting = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(self.mount_point)], capture_output=True, text=True
        )
        if mounting.returncode != 0:
            self.mount_point.rmdir()
            pytest.skip(f"cannot mount a tmpfs here ({mounting.stderr.strip()}); the trigger variant covers this")
        self.mounted = True
        location = self.mount_point / "tablespace"
        location.mkdir()
        os.chown(location, account.st_uid, account.st_gid)
        self.filler = self.mount_point / "filler"
        execute(f"CREATE TABLESPACE {self.TABLESPACE} LOCATION %s", [str(location)])
        # Fresh empty files (rolled-back tests leave dead rows behind), on the tmpfs.
        execute(f"TRUNCATE wallet_receipt; ALTER TABLE wallet_receipt SET TABLESPACE {self.TABLESPACE};")
        self.moved = True

    def fill(self) -> None:
        execute("ALTER TABLE wallet_receipt ALTER COLUMN pdf SET STORAGE MAIN")
        execute(
            "INSERT INTO wallet_receipt (transaction_id, wallet_id, status, verification_code, created_at, pdf)"
            " SELECT id, sender_wallet_id, 'PENDING', 'placeholder', now(),"
            "  (SELECT string_agg(decode(md5(random()::text || g), 'hex'), '') FROM generate_series(1, %s) g)"
            " FROM wallet_transaction ORDER BY id LIMIT 1",
            [self.PLACEHOLDER_BYTES // 16],
        )
        # Later PDFs are neither compressed nor (below 2 KB) moved out of line: they need the page's room.
        execute("ALTER TABLE wallet_receipt ALTER COLUMN pdf SET STORAGE EXTERNAL")
        execute("CHECKPOINT")  # nothing buffered still needs space on the tmpfs
        descriptor = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            while True:
                os.write(descriptor, b"\0" * 4096)
        except OSError as error:
            assert error.errno == errno.ENOSPC, error
        finally:
            os.close(descriptor)

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)
        if self.moved:
            execute("DELETE FROM wallet_receipt WHERE verification_code = 'placeholder'")

    def close(self) -> None:
        self.free()
        if self.moved:
            execute(
                "ALTER TABLE wallet_receipt SET TABLESPACE pg_default;"
                " ALTER TABLE wallet_receipt ALTER COLUMN pdf SET STORAGE EXTENDED;"
            )
            execute(f"DROP TABLESPACE {self.TABLESPACE}")
        if self.mounted:
            subprocess.run(["umount", str(self.mount_point)], check=True)
            self.mount_point.rmdir()


def _server_account() -> os.stat_result:
    """The account the server runs as: its data directory's owner (the tablespace must be its own too)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        return Path(cursor.fetchone()[0]).stat()


def _tmpfs_unavailable() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
    host = connection.settings_dict.get("HOST") or ""
    if not superuser or host not in {"127.0.0.1", "localhost", "::1"} and not host.startswith("/"):
        return "the tablespace must be on this machine's server, created by a superuser"
    return None


@pytest.fixture(params=["tmpfs", "trigger"])
def full_disk(request, transactional_db):
    if request.param == "tmpfs":
        reason = _tmpfs_unavailable()
        if reason:
            pytest.skip(f"{reason}; the trigger variant covers this")
        disk = TmpfsDisk()
    else:
        disk = TriggerDisk()
    try:
        yield disk
    finally:
        disk.close()


def test_a_full_disk_fails_the_receipt_not_the_money(
    full_disk, live_server, make_user, fund, token_for, settings, caplog
):
    alice, bob = make_user("alice"), make_user("bob")
    fund(alice, "100.00")
    api = GraphQLApi(f"{live_server.url}/graphql/", token_for(alice))
    # Without Redis the receipts are made in the API process right after the commit (Celery runs inline).
    settings.EVENTS_IN_PROCESS = True

    full_disk.fill()
    moved = api.execute(TRANSFER, {"input": {"receiverUsername": "bob", "amount": "12.50", "idempotencyKey": "lunch"}})[
        "transfer"
    ]

    # The money moved, whatever happened to the receipts.
    assert moved["errors"] == [] and moved["transaction"]["status"] == "SUCCESS"
    assert moved["wallet"]["balance"] == "87.50"
    balances = dict(Wallet.objects.filter(user__in=[alice, bob]).values_list("user__username", "balance"))
    assert balances == {"alice": Decimal("87.50"), "bob": Decimal("12.50")}
    for asker in (api, GraphQLApi(f"{live_server.url}/graphql/", token_for(bob))):  # each asks: its PDF is rendered
        asker.execute(RECEIPT, {"id": moved["transaction"]["id"]})
    assert full_disk.evidence in caplog.text and "No space left on device" in caplog.text  # the disk was full
    # The receipts say FAILED, and nothing of a PDF was stored.
    receipts = Receipt.objects.filter(wallet__user__in=[alice, bob]).exclude(verification_code="placeholder")
    assert sorted(receipts.values_list("status", "pdf")) == [("FAILED", None), ("FAILED", None)]
    shown = api.execute(RECEIPT, {"id": moved["transaction"]["id"]})["transaction"]["receipt"]
    assert shown["status"] == "FAILED" and shown["url"] is None
    # No link serves a failed receipt, not even a correctly signed one.
    failed = receipts.get(wallet__user=alice)
    assert requests.get(f"{live_server.url}/receipts/{receipt_link_token(failed)}/", timeout=10).status_code == 404

    full_disk.free()
    call_command("retry_receipts")

    assert sorted(receipts.values_list("status", flat=True)) == ["READY", "READY"]
    shown = api.execute(RECEIPT, {"id": moved["transaction"]["id"]})["transaction"]["receipt"]
    assert shown["status"] == "READY"
    download = requests.get(urljoin(live_server.url, shown["url"]), timeout=10)
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(BytesIO(download.content)).pages)
    assert shown["verificationCode"] in text and "12.50 USD" in text and "87.50 USD" in text
    assert audit_ledger().ok
