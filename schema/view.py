import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import Error as DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView, TemporalHttpResponse

from schema import throttle
from schema.errors import is_retryable, mask_unexpected, retryable_graphql_error
from schema.root import schema
from wallet.errors import RetryableError
from wallet.services import user_from_access_token
from wallet.services.api_keys import api_key_authenticate
from wallet.services.retries import retryable_error

logger = logging.getLogger(__name__)

# A response carrying a retryable error (RETRY_LATER, SERVICE_UNAVAILABLE) answers 503 with this Retry-After.
RETRY_AFTER_SECONDS = 1

# GraphiQL's page. Strawberry's own loads GraphiQL from a CDN; this one loads it from this origin: the sample
# SPA's build (frontend-sample/src/graphiql/, vite.graphiql.config.ts) writes it to frontend-sample/dist/,
# which WhiteNoise serves (nginx in deploy/). Without that build the page says so instead of loading forever.
# Its one fixed address is /graphiql/graphiql.js (the build hashes everything else).
GRAPHIQL_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · Wallet API</title>
<style>
  body { margin: 0; overflow: hidden; }
  #graphiql { height: 100vh; display: flex; }
  .status { font-family: system-ui, sans-serif; line-height: 1.5; max-width: 40rem; margin: 3rem auto; }
</style>
</head>
<body>
<div id="graphiql"><p class="status">Loading GraphiQL…</p></div>
<div id="graphiql-not-built" class="status" hidden>
  <h1>GraphiQL is not built</h1>
  <p>The API works at this URL (POST GraphQL to it), but GraphiQL's files are not here. They are built with
  the sample app, from npm packages, by Node.js 20 or newer:</p>
  <pre>scripts/frontend build</pre>
  <p>then reload this page. <code>./scripts/run</code> builds them by itself when Node.js is installed.</p>
</div>
<script type="module" src="/graphiql/graphiql.js"
  onerror="document.getElementById('graphiql').remove(); document.getElementById('graphiql-not-built').hidden = false"
></script>
<noscript>GraphiQL needs JavaScript.</noscript>
</body>
</html>
"""


def authenticate(request: HttpRequest) -> None:
    """Sets request.user from a valid `Authorization: Bearer <access token>` (a person, every scope) or
    `Authorization: ApiKey <key>` (a server acting as the key's owner, with the key's scopes: request.api_key);
    anyone else is anonymous.

    Only the header counts: neither a JWT cookie nor a Django session cookie
    authenticates here, so the endpoint needs no CSRF protection.
    """
    request.api_key = None
    parts = request.headers.get("Authorization", "").split()
    scheme = parts[0].lower() if len(parts) == 2 else ""
    if scheme == "bearer":
        request.user = user_from_access_token(parts[1]) or AnonymousUser()
    elif scheme == "apikey" and (key := api_key_authenticate(parts[1])) is not None:
        request.user, request.api_key = key.owner, key
    else:
        request.user = AnonymousUser()


@method_decorator(csrf_exempt, name="dispatch")
class WalletGraphQLView(GraphQLView):
    def __init__(self, **kwargs):
        kwargs.setdefault("schema", schema)
        kwargs.setdefault("graphql_ide", "graphiql" if settings.GRAPHQL_GRAPHIQL else None)
        # GET serves GraphiQL's page only; operations must be POSTed.
        kwargs.setdefault("allow_queries_via_get", False)
        super().__init__(**kwargs)

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        # Only called when GRAPHQL_GRAPHIQL is on (graphql_ide is set); GET without it is refused, as before.
        return HttpResponse(GRAPHIQL_PAGE)

    def process_result(self, request: HttpRequest, result):
        # The schema's MaskUnexpectedErrors covers execution; an exception raised while parsing or validating
        # skips it, so mask here as well: no client ever sees the text of an exception we did not mean to raise.
        if result.errors:
            result.errors = [mask_unexpected(error) for error in result.errors]
        return super().process_result(request, result)

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        try:
            if request.method == "POST":
                authenticate(request)
                if request.api_key is not None and throttle.api_key_over_limit(request, request.api_key):
                    body = {"data": None, "errors": [{"message": throttle.API_KEY_LIMITED, "extensions": {
                        "code": "RATE_LIMITED"}}]}  # fmt: skip
                    return JsonResponse(body, status=429, headers={"Retry-After": "60"})
            return super().dispatch(request, *args, **kwargs)
        except (DatabaseError, RetryableError) as error:
            # Raised outside execution (the token's user is looked up first): the same retryable answer.
            transient = retryable_error(error)
            if transient is None:
                raise
            logger.warning("%s before execution: %s", transient.code, error)
            body = {"data": None, "errors": [retryable_graphql_error(transient).formatted]}
            return self.create_response(body, TemporalHttpResponse())

    def create_response(self, response_data, sub_response):
        response = super().create_response(response_data, sub_response)
        errors = response_data.get("errors") if isinstance(response_data, dict) else None
        if errors and any(is_retryable(error) for error in errors):
            response.status_code = 503
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
