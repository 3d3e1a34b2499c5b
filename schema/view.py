from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from schema.root import schema
from wallet.services import user_from_access_token


def bearer_user(request: HttpRequest):
    """The user of a valid `Authorization: Bearer <token>` header; anyone else is anonymous.

    Only the header counts: neither a JWT cookie nor a Django session cookie
    authenticates here, so the endpoint needs no CSRF protection.
    """
    parts = request.headers.get("Authorization", "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return AnonymousUser()
    return user_from_access_token(parts[1]) or AnonymousUser()


@method_decorator(csrf_exempt, name="dispatch")
class WalletGraphQLView(GraphQLView):
    def __init__(self, **kwargs):
        kwargs.setdefault("schema", schema)
        kwargs.setdefault("graphql_ide", "graphiql")
        # GET serves GraphiQL's page only; operations must be POSTed.
        kwargs.setdefault("allow_queries_via_get", False)
        super().__init__(**kwargs)

    def get_context(self, request: HttpRequest, response: HttpResponse):
        request.user = bearer_user(request)
        return super().get_context(request, response)
