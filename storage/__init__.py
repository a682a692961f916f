"""Persistence: SQLAlchemy 2 models, engine/session factory, repositories, unit of work, migrations."""
