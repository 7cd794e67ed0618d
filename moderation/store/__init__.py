"""The only package that runs SQL: the pool, migrations, named queries and their rows."""

from moderation.store.queries import (
    CommentRow,
    Store,
    create_pool,
    install_locked_insert,
    listening,
    migrate,
    migrate_dsn,
    translate_errors,
)

__all__ = [
    "CommentRow",
    "Store",
    "create_pool",
    "install_locked_insert",
    "listening",
    "migrate",
    "migrate_dsn",
    "translate_errors",
]
