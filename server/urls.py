from django.contrib import admin
from django.urls import path, re_path

from schema.downloads import receipt_download
from schema.view import WalletGraphQLView
from server.spa import spa_index

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", WalletGraphQLView.as_view(), name="graphql"),
    path("receipts/<str:token>/", receipt_download, name="receipt-download"),
    # Everything else is a route of the sample SPA, which renders it in the browser.
    re_path(r"^(?!(?:graphql|admin|receipts|static|assets)(?:/|$)).*$", spa_index, name="spa"),
]
