from django.contrib import admin
from django.urls import path

from schema.downloads import receipt_download
from schema.view import WalletGraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", WalletGraphQLView.as_view(), name="graphql"),
    path("receipts/<str:token>/", receipt_download, name="receipt-download"),
]
