import pytest


@pytest.fixture
def alice(make_user):
    return make_user("alice", mobile_number="+14155550100")


@pytest.fixture
def bob(make_user):
    return make_user("bob", mobile_number="+14155550123")


@pytest.fixture
def as_alice(api, alice, token_for):
    """A GraphQL client of the live server, signed in as alice."""
    return api.as_user(token_for(alice))
