import pytest

from tests.support.postgres import postgres_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, tmp_path):
    """The same tests on a SQLite file and, where one answers, on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/storage.db"
    else:
        yield from postgres_schema_url()


@pytest.fixture
def engine(any_db_url):
    from storage.db import make_engine
    from storage.migrate import upgrade

    engine = make_engine(any_db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def uow(engine):
    from storage.db import make_session_factory
    from storage.uow import uow_factory

    return uow_factory(make_session_factory(engine))
