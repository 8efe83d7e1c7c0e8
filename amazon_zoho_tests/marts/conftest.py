import pytest

from amazon_zoho_tests.core.built import Built, build


@pytest.fixture(scope="session")
def built() -> Built:
    return build()
