"""A new demo database made in one pass (settlement/demo/schema.py) is the database the
migrations make: the same tables, columns, constraints, indexes and triggers, the same
migrations recorded, the same content types, permissions and staff role groups. Each is
built by its own `manage.py` process in an empty SQLite file."""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ONE_PASS = "from settlement.demo import schema; print(schema.migrate())"


def _build(path: Path, *command: str) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}", "DEBUG": "1"}
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DATABASE_TEST_NAME"):
        env.pop(name, None)
    done = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *command],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def _clauses(create_table: str) -> list[str]:
    """A CREATE TABLE's column and constraint clauses, sorted: the migrations rebuild some
    SQLite tables with their columns in another order, which no query of Django's sees."""
    body = create_table[create_table.index("(") + 1 : create_table.rindex(")")]
    clauses, depth, start = [], 0, 0
    for i, char in enumerate(body):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            clauses.append(body[start:i].strip())
            start = i + 1
    clauses.append(body[start:].strip())
    return sorted(clauses)


def _described(path: Path) -> dict[str, object]:
    db = sqlite3.connect(path)
    try:
        objects = {
            (kind, name): _clauses(sql) if kind == "table" else re.sub(r"\s+", " ", sql or "")
            for kind, name, sql in db.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            )
        }
        return {
            "objects": objects,
            "migrations": sorted(db.execute("SELECT app, name FROM django_migrations")),
            "content types": sorted(db.execute("SELECT app_label, model FROM django_content_type")),
            "permissions": sorted(
                db.execute(
                    "SELECT t.app_label, p.codename, p.name FROM auth_permission p"
                    " JOIN django_content_type t ON t.id = p.content_type_id"
                )
            ),
            "groups": sorted(
                db.execute(
                    "SELECT g.name, p.codename FROM auth_group g"
                    " JOIN auth_group_permissions gp ON gp.group_id = g.id"
                    " JOIN auth_permission p ON p.id = gp.permission_id"
                )
            ),
        }
    finally:
        db.close()


def test_one_pass_makes_the_database_the_migrations_make(tmp_path: Path) -> None:
    migrated, created = tmp_path / "migrated.sqlite3", tmp_path / "created.sqlite3"
    _build(migrated, "migrate", "--verbosity", "0")
    assert _build(created, "shell", "--command", ONE_PASS).splitlines()[-1] == "created"

    by_migrations, in_one_pass = _described(migrated), _described(created)

    assert in_one_pass == by_migrations
    # Not two empty descriptions: the role groups' data migration ran in both.
    groups = {name for name, _ in by_migrations["groups"]}  # type: ignore[attr-defined]
    assert {"reviewer", "approver", "program administrator"} <= groups
    assert len(by_migrations["migrations"]) > 50  # type: ignore[arg-type]


def test_a_database_with_tables_is_migrated_the_usual_way(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite3"
    _build(path, "migrate", "--verbosity", "0")

    assert _build(path, "shell", "--command", ONE_PASS).splitlines()[-1] == "migrated"
