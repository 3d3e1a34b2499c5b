from django.contrib import admin
from django.urls import path

from schema.view import WalletGraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", WalletGraphQLView.as_view(), name="graphql"),
]
