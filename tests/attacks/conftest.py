import pytest


@pytest.fixture
def url(live_server):
    return f"{live_server.url}/graphql/"


@pytest.fixture
def alice(make_user, fund):
    user = make_user("alice", mobile_number="+14155550100")
    fund(user, "100.00")
    return user


@pytest.fixture
def bob(make_user):
    return make_user("bob", mobile_number="+14155550123")


@pytest.fixture
def as_alice(api, alice, token_for):
    return api.as_user(token_for(alice))


@pytest.fixture
def alice_headers(alice, token_for):
    return {"Authorization": f"Bearer {token_for(alice)}"}
