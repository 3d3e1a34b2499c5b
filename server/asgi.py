"""ASGI: HTTP through Django (GraphQL, admin, downloads) and WebSocket GraphQL subscriptions at /graphql/."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")
django_application = get_asgi_application()  # sets Django up before the imports below

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from schema import schema  # noqa: E402
from schema.realtime import WalletEventsConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": URLRouter([path("graphql/", WalletEventsConsumer.as_asgi(schema=schema))]),
    }
)
