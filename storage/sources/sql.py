"""The `sql` kind: orders (and customers) from any database SQLAlchemy reaches.

    [sources.shop_db]
    kind = "sql"
    url_env = "SHOP_DB_URL"      # a SQLAlchemy URL, e.g. postgresql://user:pw@host/shop
    orders = "SELECT id, customer_id, ordered_at, amount, currency, status, updated_at FROM orders"
    customers = "SELECT id, name, email, updated_at FROM customers"   # optional
    cursor = "updated_at"
    map = { "Order Date" = "ordered_at" }                               # optional renames

The query's columns follow the CSV import's names and aliases. Increments
wrap the query, so it works on any engine: `SELECT * FROM (<query>) q WHERE
q.<cursor> > :since ORDER BY q.<cursor>`, with the row's id as tie-break
(`OR (q.<cursor> = :since AND q.id > :since_id)`, `ORDER BY q.<cursor>,
q.id`) so a batch may end anywhere; rows are streamed with a
server-side cursor (`stream_results`, `yield_per`), never the whole table
in memory. `postgresql://` URLs use psycopg 3 (the `postgres` extra).
"""

import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from storage.formats import FileRejected, header_mapping
from storage.problems import N_, Said
from storage.sources import ROW_KIND_NAMES, ROW_KINDS, Batch, SourceConfig, SourceError, as_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

REQUIRED = ("url_env", "orders", "cursor")
OPTIONAL = ("customers", "map")
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
QUERY_FAILED = N_("source {source}: the {kind} query failed: {reason}")


def open_source(config: SourceConfig, env: Mapping[str, str]) -> "SqlSource":
    cursor = config.options["cursor"]
    if not isinstance(cursor, str) or not IDENTIFIER.match(cursor):
        raise SourceError(
            N_("{where}: [sources.{name}] cursor must be a column name like updated_at"),
            where=config.where,
            name=config.name,
        )
    for kind in ROW_KINDS:
        query = config.options.get(kind)
        if query is not None and (not isinstance(query, str) or not query.strip()):
            raise SourceError(
                N_("{where}: [sources.{name}] {key} must be a SELECT query (a string)"),
                where=config.where,
                name=config.name,
                key=kind,
            )
    renames = config.options.get("map", {})
    if not isinstance(renames, dict) or not all(isinstance(v, str) for v in renames.values()):
        raise SourceError(
            N_("{where}: [sources.{name}] map must be a table of renames: {example}"),
            where=config.where,
            name=config.name,
            example='map = {"Order Date" = "ordered_at"}',
        )
    return SqlSource(config, config.secret("url_env", env))


class SqlSource:
    def __init__(self, config: SourceConfig, url: str):
        self.config = config
        self._url = url
        self._engine: Engine | None = None
        self.cursor_column: str = config.options["cursor"]

    def engine(self) -> "Engine":
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.engine import make_url
            from sqlalchemy.exc import ArgumentError, NoSuchModuleError

            name = self.config.name
            try:
                url = make_url(self._url)
            except ArgumentError:
                raise SourceError(
                    N_(
                        "source {source}: the URL in {var} is not a SQLAlchemy URL; "
                        "write it like postgresql://user:password@host:5432/dbname or sqlite:////path/to/file.db"
                    ),
                    source=name,
                    var=f"${self.config.options['url_env']}",
                ) from None
            if url.drivername in ("postgresql", "postgres"):
                url = url.set(drivername="postgresql+psycopg")  # psycopg 3, the `postgres` extra
            try:
                self._engine = create_engine(url, pool_pre_ping=True)
            except NoSuchModuleError:
                raise SourceError(
                    N_(
                        "source {source}: no SQLAlchemy dialect for {driver}; install its driver "
                        "(PostgreSQL: pip install 'retention-bot[postgres]')"
                    ),
                    source=name,
                    driver=repr(url.drivername),
                ) from None
            except ModuleNotFoundError as e:
                raise SourceError(
                    N_(
                        "source {source}: the database driver {driver} is not installed "
                        "(PostgreSQL: pip install 'retention-bot[postgres]')"
                    ),
                    source=name,
                    driver=repr(e.name),
                ) from None
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    def batches(self, cursor: str | None) -> Iterator[Batch]:
        positions: dict[str, Any] = json.loads(cursor) if cursor else {}
        for kind in ROW_KINDS:
            if self.config.options.get(kind):
                yield from self._stream(kind, positions)

    def _wrapped(self, kind: str, id_column: str, since: bool) -> str:
        # The operator's own query from the sources file, wrapped so any
        # engine can filter and order it: by the cursor column, then by id
        # so that rows sharing a cursor value (a bulk load) can be split
        # between batches and resumed exactly (keyset pagination).
        col = self.cursor_column
        where = f" WHERE q.{col} > :since OR (q.{col} = :since AND q.{id_column} > :since_id)" if since else ""
        return f"SELECT * FROM ({self.config.options[kind]}) q{where} ORDER BY q.{col}, q.{id_column}"  # noqa: S608

    def _stream(self, kind: str, positions: dict[str, Any]) -> Iterator[Batch]:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        since = positions.get(kind)
        size = self.config.batch_size
        try:
            with self.engine().connect() as conn:
                probe = f"SELECT * FROM ({self.config.options[kind]}) q WHERE 1 = 0"  # noqa: S608
                columns = list(conn.execute(text(probe)).keys())
                fields, at, id_at = self._columns(kind, columns)
                id_column = conn.dialect.identifier_preparer.quote(columns[id_at])
                total = None
                if since is None:  # a backfill: how many rows, for the progress bar
                    count = f"SELECT COUNT(*) FROM ({self.config.options[kind]}) q"  # noqa: S608
                    total = conn.execute(text(count)).scalar()
                params = {"since": _decode(since["at"]), "since_id": _decode(since["id"])} if since else {}
                result = conn.execution_options(stream_results=True, yield_per=size).execute(
                    text(self._wrapped(kind, id_column, since is not None)), params
                )
                pending: list[dict[str, str | None]] = []
                last: Any = None
                for part in result.partitions():
                    for row in part:
                        if row[at] is None:
                            raise SourceError(
                                N_(
                                    "source {source}: {kind} row id {id} has no {cursor}; every row needs one "
                                    "for incremental sync (e.g. COALESCE({cursor}, created_at) AS {cursor})"
                                ),
                                source=self.config.name,
                                kind=ROW_KIND_NAMES[kind],
                                id=as_text(row[id_at]),
                                cursor=self.cursor_column,
                            )
                        pending.append({f: as_text(row[i]) for i, f in enumerate(fields) if f})
                        if len(pending) >= size:
                            positions[kind] = {"at": _encode(row[at]), "id": _encode(row[id_at])}
                            yield Batch(kind, pending, json.dumps(positions, sort_keys=True), total)
                            pending = []
                        last = row
                if pending:
                    positions[kind] = {"at": _encode(last[at]), "id": _encode(last[id_at])}
                    yield Batch(kind, pending, json.dumps(positions, sort_keys=True), total)
        except SQLAlchemyError as e:
            raise SourceError(
                QUERY_FAILED, source=self.config.name, kind=ROW_KIND_NAMES[kind], reason=_reason(e)
            ) from None

    def _columns(self, kind: str, columns: list[str]) -> tuple[list[str | None], int, int]:
        """Our field for each result column (None: not ours), and where the
        cursor and id columns are. SourceError when one that is needed is
        missing."""
        renames = {k: v for k, v in self.config.options.get("map", {}).items() if k.lower() in map(str.lower, columns)}
        try:
            mapping = header_mapping(
                kind, columns, renames, option="map", what=Said(N_("the {kind} query"), {"kind": ROW_KIND_NAMES[kind]})
            )
        except FileRejected as e:
            raise SourceError(
                N_("source {source}: the {kind} query: {problem}; {fix}"),
                source=self.config.name,
                kind=ROW_KIND_NAMES[kind],
                problem=Said(e.message, e.values),
                fix=Said(e.fix_message, e.values),
            ) from None
        if "id" not in mapping.values():
            raise SourceError(
                N_(
                    "source {source}: the {kind} query returns no id column (found: {columns}); "
                    "select the row's key AS id: a live source updates rows by their id"
                ),
                source=self.config.name,
                kind=ROW_KIND_NAMES[kind],
                columns=", ".join(columns),
            )
        lowered = [c.lower() for c in columns]
        if self.cursor_column.lower() not in lowered:
            raise SourceError(
                N_(
                    "source {source}: the {kind} query returns no {cursor} column (the cursor; "
                    "found: {columns}); add it to the query's columns"
                ),
                source=self.config.name,
                kind=ROW_KIND_NAMES[kind],
                cursor=self.cursor_column,
                columns=", ".join(columns),
            )
        fields = [mapping.get(i) for i in range(len(columns))]
        return fields, lowered.index(self.cursor_column.lower()), fields.index("id")

    def check(self) -> Said:
        """Connect, run each query for no rows and check its columns."""
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        found: dict[str, object] = {}
        for kind in ROW_KINDS:
            if not self.config.options.get(kind):
                continue
            try:
                with self.engine().connect() as conn:
                    sql = f"SELECT * FROM ({self.config.options[kind]}) q WHERE 1 = 0"  # noqa: S608
                    columns = list(conn.execute(text(sql)).keys())
            except SQLAlchemyError as e:
                raise SourceError(
                    QUERY_FAILED, source=self.config.name, kind=ROW_KIND_NAMES[kind], reason=_reason(e)
                ) from None
            self._columns(kind, columns)
            found[kind] = ", ".join(columns)
        if "customers" in found:
            return Said(N_("connected; customers: {customers}; orders: {orders}"), found)
        return Said(N_("connected; orders: {orders}"), found)


def _reason(e: Exception) -> str:
    """The driver's own words (first line), without SQLAlchemy's wrapping."""
    orig = getattr(e, "orig", None)
    text = str(orig if orig is not None else e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _encode(value: Any) -> dict[str, Any]:
    """A cursor value as JSON, keeping its type so it binds as it came."""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, bool | int | float | str):
        return {"value": value}
    return {"value": str(value)}


def _decode(item: dict[str, Any]) -> Any:
    if "datetime" in item:
        return datetime.fromisoformat(item["datetime"])
    if "date" in item:
        return date.fromisoformat(item["date"])
    if "decimal" in item:
        return Decimal(item["decimal"])
    return item["value"]
