"""What a query asks for, so that resolvers load only that (no unrequested joins or prefetches)."""

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection


def _fields(selections: list[Selection]) -> list[SelectedField]:
    fields = []
    for selection in selections:
        if isinstance(selection, SelectedField):
            fields.append(selection)
        elif isinstance(selection, (FragmentSpread, InlineFragment)):
            fields.extend(_fields(selection.selections))
    return fields


def selected_names(info: Info, *path: str) -> set[str]:
    """Names of the fields selected below `path` in the current field (fragments included)."""
    level = _fields(info.selected_fields)  # the current field itself
    level = _fields([selection for field in level for selection in field.selections])
    for name in path:
        level = _fields([selection for field in level if field.name == name for selection in field.selections])
    return {field.name for field in level}
