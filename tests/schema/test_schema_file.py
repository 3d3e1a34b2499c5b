from pathlib import Path

from strawberry.printer import print_schema

from schema import schema

CHECKED_IN = Path(__file__).resolve().parents[2] / "schema" / "schema.graphql"


def test_checked_in_schema_matches_the_code():
    printed = print_schema(schema)

    assert CHECKED_IN.read_text(encoding="utf-8") == printed, (
        "schema/schema.graphql is stale: run `.venv/bin/python manage.py export_schema schema "
        "--path schema/schema.graphql` and commit it"
    )


def test_fixed_names_of_the_public_contract_are_present():
    sdl = CHECKED_IN.read_text(encoding="utf-8")
    for name in [
        "me: User!",
        "wallet: Wallet!",
        "transaction(id: ID!): Transaction",
        "ledgerEntries(first: Int = null, after: String = null): LedgerEntryConnection!",
        "register(input: RegisterInput!)",
        "tokenAuth(username: String!, password: String!)",
        "refreshToken(refreshToken: String!)",
        "revokeToken(refreshToken: String!)",
        "verifyToken(token: String!)",
        "addMoney(input: AddMoneyInput!)",
        "transfer(input: TransferInput!)",
        "payByMobile(input: PayByMobileInput!)",
        "withdraw(input: WithdrawInput!)",
        "scalar Decimal",
        "type LedgerEntry implements Node",
    ]:
        assert name in sdl, name


def test_transactions_keeps_its_fixed_arguments_as_it_gains_filters():
    """The fixed signature of `transactions`, argument by argument: the schema may add optional filters to it
    (reference, metadata, …), never drop, rename or retype one of these."""
    from graphql import build_schema

    field = build_schema(CHECKED_IN.read_text(encoding="utf-8")).query_type.fields["transactions"]
    fixed = {"first": "Int", "after": "String", "kind": "TransactionKind", "status": "TransactionStatus"}
    assert {name: str(field.args[name].type) for name in fixed} == fixed
    assert all(field.args[name].default_value is None for name in fixed)
    assert str(field.type) == "TransactionConnection!"
    added = set(field.args) - set(fixed)
    assert all(not str(field.args[name].type).endswith("!") for name in added), "a new argument must be optional"


STAFF_CHECKED_IN = CHECKED_IN.with_name("staff.graphql")


def test_checked_in_staff_schema_matches_the_code():
    from schema.staff import staff_schema

    assert STAFF_CHECKED_IN.read_text(encoding="utf-8") == print_schema(staff_schema), (
        "schema/staff.graphql is stale: run `.venv/bin/python manage.py export_schema schema.staff:staff_schema "
        "--path schema/staff.graphql` and commit it"
    )


def test_the_public_schema_has_no_staff_fields():
    from graphql import build_schema

    public = build_schema(CHECKED_IN.read_text(encoding="utf-8"))
    names = [
        name
        for type_name, graphql_type in public.type_map.items()
        for name in [type_name, *getattr(graphql_type, "fields", {})]
    ]
    assert names and not [name for name in names if name.lower().startswith("staff")]
