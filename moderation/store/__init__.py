"""The only package that runs SQL: the pool, migrations, named queries and their rows."""

from moderation.store.migrations import install_locked_insert, migrate, migrate_dsn
from moderation.store.pool import create_pool, execute_once, listening, translate_errors
from moderation.store.queries import Store
from moderation.store.rows import CommentRow

__all__ = [
    "CommentRow",
    "Store",
    "create_pool",
    "execute_once",
    "install_locked_insert",
    "listening",
    "migrate",
    "migrate_dsn",
    "translate_errors",
]
