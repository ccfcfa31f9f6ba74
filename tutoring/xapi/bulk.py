"""Inserting many new rows at once, as fast as the database allows.

On PostgreSQL, COPY sends a batch in one stream with no per-value SQL quoting;
Django's bulk_create builds UNNEST arrays whose text escaping of every JSON
quote cost more than the rest of a 50-statement request (profiled with
bench/load.py). Other databases use bulk_create.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import AutoField, BigAutoField, Model, SmallAutoField


def insert_new(model: type[Model], objs: list[Model]) -> int:
    """Insert unsaved instances (their auto ids are not read back); returns how many."""
    if not objs:
        return 0
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs)
        return len(objs)
    fields = [
        f for f in model._meta.concrete_fields if not isinstance(f, AutoField | BigAutoField | SmallAutoField)
    ]
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields])
    return len(objs)
