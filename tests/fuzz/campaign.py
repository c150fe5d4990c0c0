"""`make fuzz`: the Schemathesis items of tests/fuzz over HTTP against the local runner, with many more cases.

Starts `python -m local` on a free port (moto's server for AWS, the demo seed) as the e2e tests do, points the
items at it (KOMMUNAL_PRO_FUZZ_URL) with KOMMUNAL_PRO_FUZZ_SCALE times the CI cases (default 10: 1,000 per
operation for each role that may call it, 100 for each role it refuses) and stops the runner. Extra arguments go to
pytest, e.g. `make fuzz FUZZ_ARGS="-k worklist"`.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.e2e.test_local_runner import SECRET, running_system


def main(arguments: list[str]) -> int:
    with running_system() as (base_url, _):
        os.environ |= {
            "KOMMUNAL_PRO_FUZZ_URL": base_url,
            "KOMMUNAL_PRO_FUZZ_SCALE": os.environ.get("KOMMUNAL_PRO_FUZZ_SCALE", "10"),
            "KOMMUNAL_PRO_DEV_TOKEN_SECRET": SECRET,
        }
        return int(pytest.main(["tests/fuzz/test_schemathesis.py", "-p", "no:cacheprovider", "-q", *arguments]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
