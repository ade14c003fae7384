"""``GET /branding/<reseller code>/logo`` and ``/login-background``: a portal's images.

Public (the login page shows them before anyone signs in). Served with the content type
found when the image was decoded at upload, a strong ETag (the SHA-256 of the bytes, so
``If-None-Match`` answers 304), ``X-Content-Type-Options: nosniff`` and a restrictive
content security policy. 404 when there is none, or the portal is ``classic``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.domain.images import ImageKind
from api.domain.tenants import reseller_id_from_code
from api.services.branding import public_image

KINDS = {"logo": ImageKind.LOGO, "login-background": ImageKind.LOGIN_BACKGROUND}
SAFE = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "public, max-age=300, must-revalidate",
}


async def branding_image(request: Request) -> Response:
    kind = KINDS.get(request.path_params["kind"])
    tenant = reseller_id_from_code(request.path_params["code"])
    if kind is None or tenant is None:
        return _not_found()
    image = await public_image(request.app.state.pulsebill.services, tenant, kind)
    if image is None:
        return _not_found()
    headers = {**SAFE, "ETag": image.etag}
    if image.etag in _tags(request.headers.get("if-none-match", "")):
        return Response(status_code=304, headers=headers)
    return Response(image.data, media_type=image.content_type, headers=headers)


def _tags(header: str) -> set[str]:
    return {t.strip() for t in header.split(",") if t.strip()}


def _not_found() -> Response:
    return JSONResponse(
        {"error": "not_found", "message": "no such image"},
        status_code=404,
        headers={"X-Content-Type-Options": "nosniff"},
    )


def branding_routes() -> list[Route]:
    return [Route("/branding/{code}/{kind}", branding_image, methods=["GET", "HEAD"])]
