"""Alembic environment: runs migrations on the connection the archiver hands over, or on the URL."""

from alembic import context
from sqlalchemy import engine_from_config, pool

from archiver.archive.models import Base

config = context.config
target_metadata = Base.metadata

# Made by migrations with plain SQL, not models: the full-text index (migration 0002) and the
# tables FTS5 keeps for it. Autogenerate must neither drop nor compare them.
NOT_MODELS_PREFIX = "articles_fts"


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name and name.startswith(NOT_MODELS_PREFIX))


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_on(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_on(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        run_on(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
