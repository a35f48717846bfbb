"""Routing a test's Celery tasks to its own queue, so a shared worker cannot take them.

Celery builds its route table and router once and caches them: setting `task_routes` after
any earlier dispatch through the broker changes nothing, so the cache is rebuilt here.
"""

from config.celery import app


def route_tasks(routes: dict[str, dict[str, str]]) -> None:
    """Make `routes` the app's task routes in this process, from the next dispatch on."""
    app.conf.task_routes = routes
    app.amqp.flush_routes()
    app.amqp.router = app.amqp.Router()
