"""/docs served whole by the service: Swagger UI's script, style sheet and icon come from a Python
package (fastapi-offline), not from a CDN, so the page works with no network. FastAPI's recipe for
self-hosting them: https://fastapi.tiangolo.com/how-to/custom-docs-ui-assets/
"""

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = f"{DOCS_URL}/oauth2-redirect"
ASSETS_URL = f"{DOCS_URL}/assets"


def add_docs(app: FastAPI) -> None:
    """Serve /docs, its OAuth2 redirect page and its assets (the app serves OPENAPI_URL)."""
    assets = StaticFiles(packages=[("fastapi_offline", "static")])
    app.mount(ASSETS_URL, assets, name="docs-assets")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "").rstrip("/")  # behind a proxy's path prefix
        return get_swagger_ui_html(
            openapi_url=root + OPENAPI_URL,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root + OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            # No badge that sends the schema to the online validator.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    async def swagger_ui_oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
