from typing import Any

import pytest

from local.seed import seed_demo_municipality


@pytest.fixture
def seeded(table: Any) -> Any:
    """The demo seed: 98 municipalities (Aarhus enabled), the national library's standard instruments."""
    seed_demo_municipality(table)
    return table
