"""The sample SPA's shell: index.html for every client-side route (its assets come from WhiteNoise)."""

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

NOT_BUILT = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Wallet</title>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Wallet API</h1>
<p>The GraphQL API and its GraphiQL playground are at <a href="/graphql/">/graphql/</a>.</p>
<p>The sample app is not built. With Node.js 20 or newer:</p>
<pre>npm --prefix frontend-sample ci
npm --prefix frontend-sample run build</pre>
<p>then reload this page (<code>./scripts/run</code> does this by itself when Node.js is installed).</p>
</body></html>
"""


@require_GET
@never_cache  # a new build must reach clients at once; its hashed assets are cached for good instead
def spa_index(request: HttpRequest) -> HttpResponse:
    index = settings.SPA_DIST_DIR / "index.html" if settings.SPA_DIST_DIR else None
    if index is None or not index.is_file():
        return HttpResponse(NOT_BUILT)
    return FileResponse(index.open("rb"), content_type="text/html; charset=utf-8")
