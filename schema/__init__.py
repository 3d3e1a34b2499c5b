"""The GraphQL API surface. `schema` is what `manage.py export_schema schema` prints."""

from schema.root import schema

__all__ = ["schema"]
