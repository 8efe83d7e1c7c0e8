import pytest

from amazon_zoho.warehouse import WarehouseResource


@pytest.fixture(scope="module")
def conn(tmp_path_factory):
    """One warehouse per module: hypothesis runs many examples per test, and each example clears what it reads."""
    root = tmp_path_factory.mktemp("properties")
    with WarehouseResource(database=str(root / "w.duckdb"), archive_dir=str(root / "archive")).connect() as c:
        yield c
