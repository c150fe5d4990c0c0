"""Write docs/openapi.json, the merged document the local runner serves at /openapi.json: `python -m local.openapi`
(or `make openapi`). tests/unit/test_openapi_contract.py fails when the file and the code differ."""

from __future__ import annotations

from pathlib import Path

from local.server import openapi_json

DOCUMENT = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def main() -> None:
    DOCUMENT.write_text(openapi_json(), encoding="utf-8")
    print(f"wrote {DOCUMENT}")


if __name__ == "__main__":
    main()
