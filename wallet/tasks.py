from celery import shared_task

from wallet.services.receipts import receipt_generate


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def generate_receipt(*, transaction_id: int, wallet_id: int) -> None:
    receipt_generate(transaction_id=transaction_id, wallet_id=wallet_id)
