"""The API reference at /api/docs, rendered on the server from the OpenAPI schema.

FastAPI's Swagger UI loads its script from a CDN and starts it with an inline
script; our CSP allows neither, and the CDN may be unreachable. This page needs
no script at all; `/api/openapi.json` stays there for tools.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from services.api.deps import optional_user
from services.api.templates import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return ""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"list[{_schema_name(schema.get('items'))}]"
    return schema.get("type", "")


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each path and method with its summary, parameters, body and responses, in schema order."""
    found = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            body = op.get("requestBody", {}).get("content", {})
            found.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "tags": op.get("tags", []),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "type": _schema_name(p.get("schema")) or "any",
                            "description": p.get("description") or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": ", ".join(f"{kind}: {_schema_name(c.get('schema'))}" for kind, c in body.items()),
                    "responses": {
                        code: _schema_name(r.get("content", {}).get("application/json", {}).get("schema"))
                        for code, r in op.get("responses", {}).items()
                    },
                }
            )
    return found


@router.get("/api/docs", response_class=HTMLResponse, dependencies=[Depends(optional_user)])
def api_docs(request: Request) -> Response:
    """The API reference; public like /api/openapi.json, since it describes and holds no data."""
    spec = request.app.openapi()
    schemas = spec.get("components", {}).get("schemas", {})
    context = {"spec": spec, "operations": operations(spec), "schemas": schemas, "type_of": _schema_name}
    return render(request, "api_docs.html", context)
