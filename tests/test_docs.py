"""The documentation agrees with the code: every error code the API can return is in docs/API.md's error tables and
none that it cannot; every environment variable the settings read is in docs/OPERATIONS.md's Configuration table and
none that nothing reads; every relative link in README.md and docs/*.md reaches a file (and heading) that exists.

Plain file reading and parsing: no database, no server.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
API_DOC = ROOT / "docs" / "API.md"
OPERATIONS_DOC = ROOT / "docs" / "OPERATIONS.md"
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

# The Python that decides what the API answers, scanned for the `extensions` codes of top-level errors.
API_SOURCES = [*sorted((ROOT / "schema").glob("*.py")), *sorted((ROOT / "server").rglob("*.py"))]
# The code that reads the environment, scanned for the variables it reads. gunicorn.conf.py is the web tier's
# configuration, read from the same environment, so its variables belong in the same table.
SETTINGS_SOURCES = [
    ROOT / "server" / "settings" / "__init__.py",
    ROOT / "server" / "settings" / "production.py",
    ROOT / "server" / "gunicorn.conf.py",
]
# Variables the settings read that an operator never sets, each with why. Empty today: every variable read is one
# an operator may set. Add a name here only with a reason; an entry that no code reads fails the test.
INTERNAL_VARIABLES: dict[str, str] = {}
# Variables in the Configuration table that are read by a framework rather than by our settings.
READ_BY_FRAMEWORKS = {
    "DJANGO_SETTINGS_MODULE": "Django, celery and the ASGI/WSGI entry points choose the settings module from it",
}

CODE_SPAN = re.compile(r"`+[^`\n]*`+")
FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.M | re.S)
INLINE_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)
URL_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


# --- Markdown ------------------------------------------------------------------------------------------------------


def _without_code_blocks(text: str) -> str:
    return FENCE.sub("", text)


def _section(path: Path, heading: str) -> str:
    """The text under `## heading` up to the next heading of level 1 or 2."""
    text = _without_code_blocks(path.read_text())
    match = re.search(rf"^## {re.escape(heading)}[ \t]*\n(.*?)(?=^#{{1,2}} |\Z)", text, re.M | re.S)
    assert match, f"{path.relative_to(ROOT)} has no '## {heading}' section"
    return match.group(1)


def _first_column_names(section: str) -> set[str]:
    """The `NAMES` in backticks in the first cell of each table row: a row may list several, as `A` / `B`."""
    names = set()
    for line in section.splitlines():
        if not line.lstrip().startswith("|"):
            continue
        first_cell = line.strip().strip("|").split("|")[0]
        for span in re.findall(r"`([^`]+)`", first_cell):
            if CONSTANT_NAME.fullmatch(span):
                names.add(span)
    return names


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading anchors on its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    for heading in re.findall(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", _without_code_blocks(path.read_text()), re.M):
        slug = base = _slug(heading)
        count = 0
        while slug in anchors:  # GitHub numbers repeated headings: name, name-1, name-2
            count += 1
            slug = f"{base}-{count}"
        anchors.add(slug)
    return anchors


def _relative_links(path: Path) -> list[str]:
    text = CODE_SPAN.sub("code", _without_code_blocks(path.read_text()))
    targets = INLINE_LINK.findall(text) + REFERENCE_LINK.findall(text)
    return [target for target in targets if not URL_SCHEME.match(target)]


# --- Error codes ---------------------------------------------------------------------------------------------------


def _error_codes_in_code() -> set[str]:
    from wallet.errors import ErrorCode, RetryableError

    payload_codes = {code.value for code in ErrorCode}

    schema_text = (ROOT / "schema" / "schema.graphql").read_text()
    enum = re.search(r"^enum ErrorCode \{(.*?)^\}", schema_text, re.M | re.S)
    assert enum, "schema/schema.graphql has no ErrorCode enum"
    schema_codes = set(re.findall(r"^\s*([A-Z][A-Z0-9_]*)\s*$", enum.group(1), re.M))
    assert schema_codes == payload_codes, "schema/schema.graphql is stale: see tests/schema/test_schema_file.py"

    retryable, pending = {RetryableError.code}, [RetryableError]
    while pending:
        for subclass in pending.pop().__subclasses__():
            retryable.add(subclass.code)
            pending.append(subclass)

    # Top-level errors carry their code in `extensions` ({"code": "UNAUTHENTICATED"} and the like).
    top_level = set()
    for source in API_SOURCES:
        top_level |= set(re.findall(r"""["']code["']\s*:\s*["']([A-Z][A-Z0-9_]*)["']""", source.read_text()))

    return payload_codes | schema_codes | retryable | top_level


def test_the_error_code_scan_finds_both_kinds_of_error():
    codes = _error_codes_in_code()

    # Payload codes, retryable codes, and top-level codes from schema/: a scan that missed a kind would pass vacuously.
    assert {"INSUFFICIENT_FUNDS", "RETRY_LATER", "SERVICE_UNAVAILABLE"} <= codes
    assert {"UNAUTHENTICATED", "BAD_USER_INPUT", "INTERNAL_SERVER_ERROR"} <= codes


def test_the_error_tables_list_every_code_the_api_can_return_and_no_other():
    in_code = _error_codes_in_code()
    documented = _first_column_names(_section(API_DOC, "Error codes"))

    missing, unknown = sorted(in_code - documented), sorted(documented - in_code)
    assert not missing, f"error codes missing from docs/API.md's error tables: {missing}"
    assert not unknown, f"docs/API.md's error tables list codes nothing returns: {unknown}"


# --- Environment variables -----------------------------------------------------------------------------------------


def _is_os_environ(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _variables_read(path: Path) -> set[str]:
    """Names read with os.environ.get / os.environ[...] / os.getenv, or passed to a helper that reads the
    environment by name (env_bool, env_list, required, or any other function of the settings whose first
    argument is the variable's name)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    helpers = {"env_bool", "env_list", "required"}
    helpers |= {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.args.args and node.args.args[0].arg == "name"
    }
    names = set()
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Call) and node.args:
            func = node.func
            reads = (
                (isinstance(func, ast.Attribute) and func.attr in {"get", "pop"} and _is_os_environ(func.value))
                or (isinstance(func, ast.Attribute) and func.attr == "getenv")
                or (isinstance(func, ast.Name) and func.id in helpers)
            )
            if reads:
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and _is_os_environ(node.value):
            key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            names.add(key.value)
    return names


def _variables_read_by_settings() -> set[str]:
    names = set()
    for source in SETTINGS_SOURCES:
        names |= _variables_read(source)
    return names


def test_the_variable_scan_finds_each_way_of_reading_the_environment():
    names = _variables_read_by_settings()

    # os.environ.get, os.environ[...], env_bool, env_list, required, and gunicorn.conf.py's.
    assert {"DJANGO_SECRET_KEY", "DATABASE_REPLICA_URL", "RATELIMIT_ENABLE", "CORS_ALLOWED_ORIGINS"} <= names
    assert {"LEDGER_HASH_KEY", "DJANGO_HSTS_PRELOAD", "WEB_CONCURRENCY"} <= names


def test_every_variable_the_settings_read_is_in_the_configuration_table():
    read = _variables_read_by_settings()
    documented = _first_column_names(_section(OPERATIONS_DOC, "Configuration"))

    undocumented = read - documented - set(INTERNAL_VARIABLES)
    assert not undocumented, f"add these to docs/OPERATIONS.md's Configuration table: {sorted(undocumented)}"
    stale_allowances = set(INTERNAL_VARIABLES) - read
    assert not stale_allowances, f"INTERNAL_VARIABLES names variables nothing reads: {sorted(stale_allowances)}"


def test_the_configuration_table_lists_only_variables_something_reads():
    read = _variables_read_by_settings()
    documented = _first_column_names(_section(OPERATIONS_DOC, "Configuration"))

    unread = documented - read - set(READ_BY_FRAMEWORKS)
    assert not unread, f"docs/OPERATIONS.md documents variables nothing reads: {sorted(unread)}"


# --- Links ---------------------------------------------------------------------------------------------------------


def test_the_documents_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in DOC_FILES}

    assert {"README.md", "docs/API.md", "docs/OPERATIONS.md"} <= names
    assert all(_relative_links(path) for path in DOC_FILES if path.name in {"README.md", "MONEY.md"})


@pytest.mark.parametrize("document", DOC_FILES, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_an_existing_file_and_heading(document):
    broken = []
    for target in _relative_links(document):
        path_part, _, anchor = target.partition("#")
        destination = (document.parent / path_part).resolve() if path_part else document
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in _anchors(destination):
            broken.append(f"{target}: no heading with the anchor #{anchor} in {destination.relative_to(ROOT)}")

    assert not broken, f"broken links in {document.relative_to(ROOT)}:\n" + "\n".join(broken)
