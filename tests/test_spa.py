"""The sample SPA's shell is served at the site root without shadowing the API."""

import pytest

pytestmark = pytest.mark.django_db


def test_client_routes_get_the_built_index(client, settings, tmp_path):
    (tmp_path / "index.html").write_text("<!doctype html><title>Wallet SPA</title>")
    settings.SPA_DIST_DIR = tmp_path

    for path in ("/", "/history", "/transactions/VHJhbnNhY3Rpb246MQ=="):
        response = client.get(path)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"<!doctype html><title>Wallet SPA</title>"
        assert "no-cache" in response["Cache-Control"]


def test_without_a_build_the_root_says_how_to_build_it(client, settings, tmp_path):
    settings.SPA_DIST_DIR = tmp_path / "missing"

    response = client.get("/")

    assert response.status_code == 200
    assert b"npm --prefix frontend-sample run build" in response.content


def test_the_api_and_its_neighbours_are_not_spa_routes(client, settings, tmp_path):
    (tmp_path / "index.html").write_text("spa")
    settings.SPA_DIST_DIR = tmp_path

    assert client.post("/graphql/", {"query": "{ __typename }"}, content_type="application/json").json() == {
        "data": {"__typename": "Query"}
    }
    assert client.get("/graphql").status_code == 301
    assert client.get("/receipts/not-a-token/").status_code == 404
    assert client.post("/history").status_code == 405
