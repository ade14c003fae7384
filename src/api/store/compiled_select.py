"""Module-level Core selects compiled once into SQL text for the raw drivers.

SQLAlchemy's execution of a cached statement still costs tens of microseconds in Python
(the cache key, parameter processing, the result proxy; on PostgreSQL also the greenlet
hand-over of the async adapter), as much as a small indexed read itself.
:class:`CompiledSelect` keeps what one execution needs (the SQL, the order and processing
of the parameters, the result processors and a row type with the selected columns' names)
and runs it on the driver's connection: ``sqlite3`` (:meth:`~CompiledSelect.run_sqlite`)
or ``asyncpg`` (:meth:`~CompiledSelect.run_asyncpg`). Rows have the values and attribute
names of SQLAlchemy's rows (``tests/api/graphql/test_compiled_select.py`` compares both).

Only for statements built once (module constants): compiling costs milliseconds. A
statement whose SQL SQLAlchemy renders per execution (anything but ``IN`` lists of bound
values) is refused (:func:`compile_select` returns ``None``) and runs through SQLAlchemy.
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Dialect, Select
from sqlalchemy.dialects import postgresql, sqlite

_POSTCOMPILE = "__[POSTCOMPILE_{}]"
_DIALECTS: dict[str, Dialect] = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.asyncpg.dialect(),  # type: ignore[no-untyped-call]
}
_compiled: dict[str, weakref.WeakKeyDictionary[Select[Any], CompiledSelect | None]] = {
    name: weakref.WeakKeyDictionary() for name in _DIALECTS
}

Processor = Callable[[Any], Any]


class CompiledSelect:
    """One select for one driver: ``run_sqlite``/``run_asyncpg(connection, params)`` → rows."""

    __slots__ = ("_defaults", "_expanding", "_names", "_numbered", "_processors", "_row", "_sql")

    def __init__(
        self,
        sql: str,
        names: Sequence[str],
        defaults: dict[str, Any],
        expanding: frozenset[str],
        processors: Sequence[Processor | None],
        columns: Sequence[str],
        *,
        numbered: bool,
    ) -> None:
        self._sql = sql
        self._names = tuple(names)
        self._defaults = defaults
        self._expanding = expanding
        self._numbered = numbered  # ``$1`` (asyncpg) rather than ``?`` (sqlite3)
        self._processors = tuple((i, p) for i, p in enumerate(processors) if p is not None)
        self._row: Any = namedtuple("Row", columns)  # type: ignore[misc]

    def run_sqlite(self, connection: Any, params: dict[str, Any] | None) -> list[Any]:
        """The rows for ``params`` on a ``sqlite3`` connection."""
        sql, args = self._bound(params)
        return self._rows(connection.execute(sql, args).fetchall())

    async def run_asyncpg(self, connection: Any, params: dict[str, Any] | None) -> list[Any]:
        """The rows for ``params`` on an ``asyncpg`` connection."""
        sql, args = self._bound(params)
        return self._rows(await connection.fetch(sql, *args))

    def _bound(self, params: dict[str, Any] | None) -> tuple[str, list[Any]]:
        """The SQL with its ``IN`` lists rendered, and the arguments in placeholder order."""
        values = {**self._defaults, **params} if params else self._defaults
        if not self._expanding:
            return self._sql, [values[name] for name in self._names]
        args = [values[name] for name in self._names if name not in self._expanding]
        sql = self._sql
        for name in self._names:
            if name in self._expanding:
                items = list(values[name])
                if self._numbered:
                    first = len(args) + 1
                    marks = ", ".join(f"${n}" for n in range(first, first + len(items)))
                else:
                    marks = ", ".join("?" * len(items))
                sql = sql.replace(_POSTCOMPILE.format(name), marks, 1)
                args += items
        if not self._numbered:  # ``?`` follow the text's order: rebuild it
            args = []
            for name in self._names:
                args += list(values[name]) if name in self._expanding else [values[name]]
        return sql, args

    def _rows(self, fetched: Sequence[Any]) -> list[Any]:
        make, processors = self._row._make, self._processors
        if not processors:
            return [make(row) for row in fetched]
        rows = []
        for fetched_row in fetched:
            row = list(fetched_row)
            for i, process in processors:
                row[i] = process(row[i])
            rows.append(make(row))
        return rows


def compile_select(query: Select[Any], backend: str = "sqlite") -> CompiledSelect | None:
    """``query`` compiled for ``backend``'s raw driver (``sqlite`` or ``postgresql``;
    cached per statement), or ``None`` when it must run through SQLAlchemy."""
    cache = _compiled[backend]
    try:
        return cache[query]
    except KeyError:
        compiled = cache[query] = _compile(query, _DIALECTS[backend])
        return compiled


def _compile(query: Select[Any], dialect: Dialect) -> CompiledSelect | None:
    compiled = query.compile(dialect=dialect)
    binds = compiled.binds
    names = list(compiled.positiontup or [])
    expanding = frozenset(name for name, bind in binds.items() if bind.expanding)
    sql = compiled.string
    if sql.count("__[POSTCOMPILE_") != len(expanding):
        return None  # a literal rendered per execution
    if any(names.count(name) != 1 for name in names):
        return None  # a parameter used twice
    defaults: dict[str, Any] = {}
    for name in names:
        bind = binds[name]
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            if processor is not None:
                return None  # values passed per call would need converting
            continue
        defaults[name] = bind.value if processor is None else processor(bind.value)
    columns = list(query.selected_columns)
    processors = [
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    ]
    numbered = dialect.paramstyle.startswith("numeric")
    keys = list(query.selected_columns.keys())
    return CompiledSelect(sql, names, defaults, expanding, processors, keys, numbered=numbered)
