"""Plain HTTP downloads that GraphQL hands out as signed links (a browser can open them without a token)."""

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from wallet.services import receipt_for_token
from wallet.services.statements import statement_csv, statement_for_token, statement_pdf


@require_GET
def receipt_download(request: HttpRequest, token: str) -> HttpResponse:
    receipt = receipt_for_token(token)
    if receipt is None:  # tampered, expired, or not ready: indistinguishable from missing
        raise Http404("No such receipt.")
    response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{receipt.transaction_id}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


STATEMENT_FILES = {
    "csv": (statement_csv, "text/csv; charset=utf-8"),
    "pdf": (statement_pdf, "application/pdf"),
}


@require_GET
def statement_download(request: HttpRequest, token: str, file_format: str) -> StreamingHttpResponse:
    """The statement a signed link names, streamed as it is read and written (a year of a busy wallet is never
    held in memory)."""
    period = statement_for_token(token)
    if period is None or file_format not in STATEMENT_FILES:  # tampered or expired: like a missing one
        raise Http404("No such statement.")
    render, content_type = STATEMENT_FILES[file_format]
    response = StreamingHttpResponse(render(period), content_type=content_type)
    name = f"statement-{period.period_from:%Y%m%d}-{period.period_to:%Y%m%d}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
