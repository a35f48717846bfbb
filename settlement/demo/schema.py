"""A new demo database's tables in one pass, as the migrations would leave them.

`make run` on a fresh clone starts from an empty SQLite file, and applying the 60-odd
migrations one by one spends most of its seconds re-rendering Django's migration state
after each operation (an AddConstraint re-renders the model and everything related to it).
For an empty SQLite database the result is known in advance: the tables of the final
migration state. So this renders that state once, creates its tables, records every
migration as applied (a later `migrate` applies only newer ones on top) and runs the
migrations' data steps (RunPython: the staff role groups), then sends `post_migrate` as
`migrate` does (content types and permissions). It is the same shortcut Django's test
runner takes with `MIGRATE: False`; `make check`'s migrations check keeps the models and
the migrations equal, and tests/integration/test_demo_schema.py compares the two schemas.

Any other database (PostgreSQL, with its triggers; a database already migrated) is
migrated the usual way.
"""

from typing import IO

from django.core.management import call_command
from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.migration import Migration
from django.db.migrations.operations import RunPython, RunSQL


def migrate(*, database: str = "default", stdout: IO[str] | None = None) -> str:
    """Bring `database` up to date; return "created" (one pass) or "migrated"."""
    connection = connections[database]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes(), clean_start=True)
    migrations = [migration for migration, _ in plan]
    if not _creatable(connection, executor, migrations):
        call_command("migrate", database=database, interactive=False, stdout=stdout)
        return "migrated"
    _create(connection, executor, migrations)
    return "created"


def _creatable(
    connection: BaseDatabaseWrapper, executor: MigrationExecutor, migrations: list[Migration]
) -> bool:
    """An empty SQLite database whose migrations run no SQL of their own."""
    if connection.vendor != "sqlite" or executor.loader.applied_migrations:
        return False
    with connection.cursor() as cursor:
        if connection.introspection.table_names(cursor):
            return False
    return not any(
        isinstance(operation, RunSQL)
        for migration in migrations
        for operation in migration.operations
    )


def _create(
    connection: BaseDatabaseWrapper, executor: MigrationExecutor, migrations: list[Migration]
) -> None:
    apps = executor.loader.project_state().apps  # the final state, rendered once
    plan = [(migration, False) for migration in migrations]
    emit_pre_migrate_signal(0, False, connection.alias, apps=apps, plan=plan)
    with connection.schema_editor() as editor:
        for model in apps.get_models():  # auto-created many-to-many tables come with theirs
            if model._meta.can_migrate(connection):
                editor.create_model(model)
        for migration in migrations:
            for operation in migration.operations:
                if isinstance(operation, RunPython):
                    operation.code(apps, editor)
    executor.recorder.ensure_schema()
    for migration in migrations:
        executor.record_migration(migration)
    emit_post_migrate_signal(0, False, connection.alias, apps=apps, plan=plan)
