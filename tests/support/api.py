"""A GraphQL client over real HTTP (gql), as an app's backend or codegen client would use it."""

from dataclasses import dataclass, field

from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport


@dataclass
class Response:
    data: dict | None
    errors: list[dict] = field(default_factory=list)

    @property
    def error_codes(self) -> list[str]:
        return [error.get("extensions", {}).get("code") for error in self.errors]


class GraphQLApi:
    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        self.token = token

    def _client(self) -> Client:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        transport = RequestsHTTPTransport(url=self.url, headers=headers, retries=0, timeout=30)
        return Client(transport=transport)

    def request(self, document: str, variables: dict | None = None) -> Response:
        """The whole response, errors included."""
        try:
            data = self._client().execute(GraphQLRequest(document, variable_values=variables))
        except TransportQueryError as exc:
            return Response(data=exc.data, errors=exc.errors or [])
        return Response(data=data)

    def execute(self, document: str, variables: dict | None = None) -> dict:
        """The data of a response that must have no top-level errors."""
        response = self.request(document, variables)
        assert response.errors == [], response.errors
        return response.data

    def as_user(self, token: str | None) -> "GraphQLApi":
        return GraphQLApi(self.url, token)
