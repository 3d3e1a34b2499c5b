from django.contrib import admin
from django.urls import path, re_path
from django_prometheus.exports import ExportToDjangoView

from schema.downloads import receipt_download, statement_download
from schema.staff import StaffGraphQLView
from schema.view import WalletGraphQLView
from server.health import healthz, readyz
from server.spa import spa_index

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", WalletGraphQLView.as_view(), name="graphql"),
    # Staff only: anyone else gets the 404 of any other /staff/ path (the SPA does not claim them).
    path("staff/graphql/", StaffGraphQLView.as_view(), name="staff-graphql"),
    path("receipts/<str:token>/", receipt_download, name="receipt-download"),
    path("statements/<str:token>/<str:file_format>", statement_download, name="statement-download"),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    # Prometheus scrapes this from inside the network; deploy/nginx.conf does not route it.
    path("metrics", ExportToDjangoView, name="prometheus-metrics"),
    # Everything else is a route of the sample SPA, which renders it in the browser.
    re_path(
        r"^(?!(?:graphql|graphiql|staff|admin|receipts|statements|static|assets|healthz|readyz|metrics)(?:/|$)).*$",
        spa_index,
        name="spa",
    ),
]
