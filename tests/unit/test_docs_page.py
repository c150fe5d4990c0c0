"""/docs: Swagger UI served by the local runner from the npm package, with nothing from another origin."""

from __future__ import annotations

import re

from local.server import LocalApi


def test_docs_and_its_assets_are_served_locally_with_their_content_types() -> None:
    api = LocalApi(token_secret="unit-secret-unit-secret-unit-secret-unit")
    status, headers, page = api.handle("GET", "/docs", {}, None)
    assert (status, headers["Content-Type"]) == (200, "text/html; charset=utf-8")
    html = page.decode()
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "the page must not load anything from another origin"
    assets = re.findall(r"(?:src|href)=\"(/docs/[^\"]+)\"", html)
    assert sorted(assets) == ["/docs/docs-init.js", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"]
    served = {asset: api.handle("GET", asset, {}, None) for asset in assets}
    assert {a: (s, h["Content-Type"].split(";")[0]) for a, (s, h, _) in served.items()} == {
        "/docs/docs-init.js": (200, "text/javascript"),
        "/docs/swagger-ui-bundle.js": (200, "text/javascript"),
        "/docs/swagger-ui.css": (200, "text/css"),
    }
    assert b"SwaggerUIBundle" in served["/docs/swagger-ui-bundle.js"][2]
    assert b'"/openapi.json"' in served["/docs/docs-init.js"][2]
    assert b"persistAuthorization: true" in served["/docs/docs-init.js"][2]
    assert api.handle("GET", "/docs/../pyproject.toml", {}, None)[0] == 404
