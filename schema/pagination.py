"""Keyset pagination for Relay connections, newest first by primary key.

The id is unique and only grows, so "id < cursor" is a stable keyset that an
index on (owner, -id) serves in constant time however deep the page.
"""

import base64
import binascii
from typing import Generic, TypeVar

import strawberry
from django.conf import settings
from django.db.models import QuerySet
from graphql import GraphQLError
from strawberry import relay

CURSOR_PREFIX = "cursor:v1:"
DEFAULT_PAGE_SIZE = 20


def encode_cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"{CURSOR_PREFIX}{pk}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        raw = ""
    pk = raw.removeprefix(CURSOR_PREFIX)
    if not raw.startswith(CURSOR_PREFIX) or not pk.isdigit() or not pk.isascii():
        raise GraphQLError("The 'after' cursor is not valid.", extensions={"code": "BAD_USER_INPUT"})
    return int(pk)


def page_size(first: int | None) -> int:
    """`first` defaults to 20 and is capped at GRAPHQL_PAGE_SIZE_MAX (100)."""
    if first is None:
        return DEFAULT_PAGE_SIZE
    if first < 0:
        raise GraphQLError("'first' cannot be negative.", extensions={"code": "BAD_USER_INPUT"})
    return min(first, settings.GRAPHQL_PAGE_SIZE_MAX)


def keyset_field(queryset: QuerySet) -> str:
    """The queryset's one ordering field: descending, and holding each row's primary key.

    It may be the pk itself ("-id") or the same id read from a joined table
    ("-history_id", the history row's transaction_id), so that the page is a
    range scan of that table's index.
    """
    ordering = queryset.query.order_by
    if len(ordering) != 1 or not ordering[0].startswith("-"):
        raise ValueError(f"keyset pagination needs one descending unique ordering, not {ordering}")
    return ordering[0][1:]


def keyset_page(queryset: QuerySet, *, first: int | None, after: str | None) -> tuple[list, relay.PageInfo]:
    """One page of a queryset ordered by one descending id: the rows, their cursors and the Relay PageInfo."""
    size = page_size(first)
    key = keyset_field(queryset)
    if after is not None:
        before = decode_cursor(after)
        # Bounding the pk too lets PostgreSQL bound both sides of a join (it
        # does not carry an inequality across a join condition).
        queryset = queryset.filter(**{f"{key}__lt": before, "pk__lt": before})
    rows = list(queryset[: size + 1])
    has_next_page = len(rows) > size
    rows = rows[:size]
    cursors = [encode_cursor(getattr(row, key)) for row in rows]
    page_info = relay.PageInfo(
        has_next_page=has_next_page,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
    return list(zip(rows, cursors, strict=True)), page_info


NodeT = TypeVar("NodeT")


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A Relay cursor connection, newest first.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: relay.PageInfo
    queryset: strawberry.Private[QuerySet]

    @strawberry.field(description="How many items match, across all pages.")
    def total_count(self) -> int:
        return self.queryset.count()

    @classmethod
    def page(cls, queryset: QuerySet, *, first: int | None, after: str | None) -> "Connection":
        # Pinned to the database the router picks now (a replica for history reads), so that totalCount,
        # resolved later, counts in the same one.
        queryset = queryset.using(queryset.db)
        rows, page_info = keyset_page(queryset, first=first, after=after)
        edges = [Edge(cursor=cursor, node=row) for row, cursor in rows]
        return cls(edges=edges, page_info=page_info, queryset=queryset)
