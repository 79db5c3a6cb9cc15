"""/docs works with no network: the page loads only what the service itself serves."""

import re

import httpx

# What the page loads: its style sheet, icon and script, then the schema Swagger UI fetches.
LOADED = re.compile(r"""(?:href|src)="([^"]+)"|url: '([^']+)'""")
CONTENT_TYPES = ("text/css", "image/png", "javascript", "application/json")


async def test_the_docs_page_loads_only_what_the_service_serves(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")

    assert page.status_code == 200
    assert "://" not in page.text  # no absolute URL, so no other host
    urls = [attribute or url for attribute, url in LOADED.findall(page.text)]
    responses = [await client.get(url) for url in urls]
    assert [response.status_code for response in responses] == [200] * len(CONTENT_TYPES)
    for response, content_type in zip(responses, CONTENT_TYPES, strict=True):
        assert content_type in response.headers["content-type"]
    assert b"SwaggerUIBundle" in responses[2].content


async def test_the_oauth2_redirect_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs/oauth2-redirect")

    assert response.status_code == 200
    assert "swaggerUIRedirectOauth2" in response.text
