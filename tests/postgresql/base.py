"""Django's PostgreSQL backend for the test process, emptying tables faster.

Each transactional test (live servers, sockets, browsers) ends with Django's
flush, which TRUNCATEs every table: about a hundred relations recreated on disk
per test, a third of the suite's time on two cores. The tables hold a few rows
by then, and DELETE empties them in a fraction of that. DELETE also takes row
locks instead of each table's ACCESS EXCLUSIVE lock, which deadlocked with a
live server still answering a closed browser. tests/conftest.py selects it.
"""

from __future__ import annotations

from django.db.backends.postgresql import base, operations


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return super().sql_flush(
                style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        truncated = self._guarded_tables(tables)
        deleted = [table for table in tables if table not in truncated]
        # One transaction (execute_sql_flush): Django's foreign keys are
        # DEFERRABLE, so checked once every table is empty, in any order.
        delete = f"{style.SQL_KEYWORD('DELETE')} {style.SQL_KEYWORD('FROM')}"
        return [
            "SET CONSTRAINTS ALL DEFERRED;",
            *super().sql_flush(style, truncated),
            *(f"{delete} {style.SQL_FIELD(self.quote_name(table))};" for table in deleted),
        ]

    def _guarded_tables(self, tables) -> list[str]:
        """Tables whose triggers refuse DELETE (the append-only audit trails),
        with the tables referencing them: TRUNCATE must take those too."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal"
            )
            guarded = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT child.relname, parent.relname FROM pg_constraint k "
                "JOIN pg_class child ON child.oid = k.conrelid "
                "JOIN pg_class parent ON parent.oid = k.confrelid WHERE k.contype = 'f'"
            )
            references = cursor.fetchall()
        while True:
            more = {child for child, parent in references if parent in guarded} - guarded
            if not more:
                break
            guarded |= more
        return [table for table in tables if table in guarded]


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
