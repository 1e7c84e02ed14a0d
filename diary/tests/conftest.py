from journal.tests.conftest import frozen_now  # noqa: F401
