"""Plain HTTP downloads that GraphQL hands out as signed links (a browser can open them without a token)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from wallet.services import receipt_for_token


@require_GET
def receipt_download(request: HttpRequest, token: str) -> HttpResponse:
    receipt = receipt_for_token(token)
    if receipt is None:  # tampered, expired, or not ready: indistinguishable from missing
        raise Http404("No such receipt.")
    response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{receipt.transaction_id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
