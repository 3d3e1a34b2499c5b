"""Document rules beyond the spec's: what a public GraphQL endpoint refuses before it runs anything."""

import re
from functools import lru_cache
from typing import NamedTuple

from django.conf import settings
from graphql import GraphQLError, Visitor, parse, visit
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as max_aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as max_depth_rule


def is_introspection(context) -> bool:
    # Introspection's depth is fixed by the schema, not by the client; GraphiQL
    # and codegen need it whole.
    return context.field_name.startswith("__")


class DocumentFacts(NamedTuple):
    directives: int
    nul_in_literal: bool


@lru_cache(maxsize=512)
def document_facts(query: str) -> DocumentFacts:
    """What the guards need to know of a document, found in one walk and kept per query text: clients send the
    same few documents over and over (as the parser and validation caches assume)."""
    walker = _FactsWalker()
    visit(parse(query), walker)
    return DocumentFacts(directives=walker.directives, nul_in_literal=walker.nul_in_literal)


class _FactsWalker(Visitor):
    def __init__(self):
        super().__init__()
        self.directives = 0
        self.nul_in_literal = False

    def enter_directive(self, *_args):
        self.directives += 1

    def enter_string_value(self, node, *_args):
        self.nul_in_literal = self.nul_in_literal or "\x00" in node.value


class MaxDirectivesLimiter(SchemaExtension):
    """Refuses documents with more than GRAPHQL_MAX_DIRECTIVES directives (directive overloading).

    Counted before validation: each unknown or repeated directive costs a validation error, so one small request
    could otherwise have the server build and send back a hundred of them.
    """

    def on_validate(self):
        query = self.execution_context.query
        if query and document_facts(query).directives > settings.GRAPHQL_MAX_DIRECTIVES:
            raise GraphQLError(f"The document has more than {settings.GRAPHQL_MAX_DIRECTIVES} directives.")
        yield


class RefuseNulCharacters(SchemaExtension):
    """Refuses any string holding a NUL character, in variables or in the document's literals.

    No input of ours has a use for one, and PostgreSQL cannot store one: without this the database would
    reject it deep inside a resolver, as an unexpected error instead of the client's bad input.
    """

    def on_validate(self):
        context = self.execution_context
        where = _nul_path(context.variables or {}, "")
        if where is None and context.query and document_facts(context.query).nul_in_literal:
            where = "a string literal"
        if where is not None:
            raise GraphQLError(
                f"{where} may not contain NUL (U+0000) characters.", extensions={"code": "BAD_USER_INPUT"}
            )
        yield


def _nul_path(value, path: str) -> str | None:
    """The variable path of the first string holding a NUL, e.g. "$input.amount"; None if there is none."""
    if isinstance(value, str):
        return f"${path}" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(key, path) or _nul_path(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}.{index}")
            if found:
                return found
    return None


def document_rules() -> list:
    """Built once: the validation cache keys on the rule classes, so fresh classes per request
    (as QueryDepthLimiter/MaxAliasesLimiter make) would never hit it."""
    rules = [
        max_depth_rule(settings.GRAPHQL_MAX_DEPTH, is_introspection),
        max_aliases_rule(settings.GRAPHQL_MAX_ALIASES),
    ]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    return rules


SUGGESTION = re.compile(r" ?Did you mean .+\?$")


class HideFieldSuggestions(SchemaExtension):
    """Drops "Did you mean …?" from validation errors, which would otherwise leak the schema a name at a time."""

    def on_validate(self):
        yield
        for error in self.execution_context.pre_execution_errors or []:
            error.message = SUGGESTION.sub("", error.message)
