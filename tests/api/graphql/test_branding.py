"""Portal settings and branding images through GraphQL and the image route."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from api.store.tables import BrandingImage
from tests.api.graphql.conftest import Api
from tests.api.graphql.helpers import (
    CREATE_CLIENT,
    LOGIN,
    PACKAGE,
    PASSWORD,
    PUBLISH,
    SET_LOGIN,
    Tenant,
    seed,
)

VALUES = """
  version title headerText welcomeText panelColour buttonColour backgroundColour
  showSipPasswords allowPasswordReset signupEnabled signupFields signupPackageId
  signupBalanceType signupRequiresApproval simpleView services
  didMonthlyPrice { amount currency } didSetupPrice { amount } didPerMinutePrice { amount }
  fromName replyTo
  templates { lowBalance { subject body placeholders } resetRequest { subject }
              resetDone { subject } }
"""
RESULT = f"""
    __typename
    ... on PortalSettings {{
      resellerId updatedAt portalUrl
      settings {{ {VALUES} }}
      effective {{ version panelColour headerText services title }}
      images {{ kind contentType width height size etag url }}
    }}
    ... on Problem {{ message }}
    ... on InvalidInput {{ errors {{ field message }} }}
"""
READ = f"query($r: Int) {{ portalSettings(resellerId: $r) {{ {RESULT} }} }}"
PREVIEW = f"query($i: PortalSettingsInput!) {{ portalSettingsPreview(input: $i) {{ {RESULT} }} }}"
UPDATE = f"""
mutation($i: PortalSettingsInput!, $v: DateTime) {{
  updatePortalSettings(input: $i, expectedUpdatedAt: $v) {{ {RESULT} }}
}}"""
UPLOAD = """
mutation($k: BrandingImageKind!, $d: String!, $n: String! = "", $t: String! = "") {
  uploadBrandingImage(kind: $k, dataBase64: $d, fileName: $n, contentType: $t) {
    __typename
    ... on BrandingImage { kind contentType width height size etag url }
    ... on InvalidInput { errors { field message } }
  }
}"""


def png(size: tuple[int, int] = (64, 32), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def read(api: Api, token: str, reseller_id: int | None = None) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(READ, token, r=reseller_id))["portalSettings"]
    return result


async def update(api: Api, tenant: Tenant, at: str | None, **changes: Any) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(UPDATE, tenant.reseller, i=changes, v=at))[
        "updatePortalSettings"
    ]
    return result


async def images_stored(api: Api) -> int:
    async with api.state.services.read() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(BrandingImage)) or 0)


async def test_a_new_reseller_has_working_defaults(api: Api) -> None:
    tenant = await seed(api)
    got = await read(api, tenant.reseller)
    assert got["__typename"] == "PortalSettings"
    assert got["updatedAt"] is None
    assert got["portalUrl"] == f"http://127.0.0.1:8000/p/{100_000 + tenant.reseller_id}"
    values = got["settings"]
    assert values["version"] == "BRANDED"
    assert values["title"]
    assert values["allowPasswordReset"] is True
    assert values["signupFields"] == ["NAME", "EMAIL"]
    assert values["didMonthlyPrice"] == {"amount": "0.00", "currency": "USD"}
    low = values["templates"]["lowBalance"]
    assert "{balance}" in low["body"]
    assert "{reset_link}" not in low["placeholders"]
    assert got["images"] == []


async def test_changes_are_versioned_by_updated_at(api: Api) -> None:
    tenant = await seed(api)
    first = await update(api, tenant, None, title="Acme Phone", panelColour="#112233")
    assert first["__typename"] == "PortalSettings"
    version = first["updatedAt"]
    assert version is not None
    stale = await update(api, tenant, None, title="Lost update")
    assert stale["__typename"] == "Conflict"
    second = await update(api, tenant, version, didMonthlyPrice="2.50", services=["ORDER_DIDS"])
    assert second["__typename"] == "PortalSettings"
    assert second["settings"]["title"] == "Acme Phone"  # kept
    assert second["settings"]["didMonthlyPrice"]["amount"] == "2.50"
    assert second["settings"]["services"] == ["ORDER_DIDS"]
    again = await update(api, tenant, version, title="Also lost")
    assert again["__typename"] == "Conflict"
    assert (await read(api, tenant.reseller))["settings"]["title"] == "Acme Phone"


async def test_bad_settings_say_what_and_where_and_save_nothing(api: Api) -> None:
    tenant = await seed(api)
    bad_colour = await update(api, tenant, None, buttonColour="blue")
    assert bad_colour["errors"] == [
        {"field": "buttonColour", "message": "a colour is written #rrggbb (six hexadecimal digits)"}
    ]
    template = {"lowBalance": {"subject": "Low", "body": "Hi {client_name}\n{balanse} left"}}
    bad_template = await update(api, tenant, None, templates=template)
    [error] = bad_template["errors"]
    assert error["field"] == "templates.low_balance.body"
    assert error["message"].startswith("unknown placeholder {balanse} at line 2, column 1")
    negative = await update(api, tenant, None, didSetupPrice="-1")
    assert negative["errors"][0]["field"] == "didSetupPrice"
    assert (await read(api, tenant.reseller))["updatedAt"] is None


async def test_a_preview_applies_without_saving(api: Api) -> None:
    tenant = await seed(api)
    shown = (await api.data(PREVIEW, tenant.reseller, i={"version": "CLASSIC", "title": "T"}))[
        "portalSettingsPreview"
    ]
    assert shown["settings"]["version"] == "CLASSIC"
    assert shown["effective"]["title"] == "T"
    assert shown["effective"]["services"] == ["VIEW_CDRS", "CALL_FORWARDING"]  # basic only
    stored = await read(api, tenant.reseller)
    assert (stored["settings"]["version"], stored["updatedAt"]) == ("BRANDED", None)


async def test_classic_applies_title_and_welcome_only(api: Api) -> None:
    tenant = await seed(api)
    done = await update(
        api, tenant, None, version="CLASSIC", panelColour="#000000", headerText="H", title="Mine"
    )
    assert done["settings"]["panelColour"] == "#000000"  # kept for a return to branded
    assert done["effective"]["panelColour"] == "#f5f7fa"
    assert done["effective"]["headerText"] == ""
    assert done["effective"]["title"] == "Mine"


async def test_images_are_checked_stored_and_served_safely(api: Api) -> None:
    tenant = await seed(api)
    data = png()
    up = (await api.data(UPLOAD, tenant.reseller, k="LOGO", d=b64(data), n="logo.png"))[
        "uploadBrandingImage"
    ]
    assert up["__typename"] == "BrandingImage"
    assert (up["contentType"], up["width"], up["height"], up["size"]) == (
        "image/png", 64, 32, len(data),
    )  # fmt: skip
    code = 100_000 + tenant.reseller_id
    assert up["url"] == f"http://127.0.0.1:8000/branding/{code}/logo"
    served = await api.http.get(f"/branding/{code}/logo")
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["etag"] == up["etag"]
    assert not served.headers["etag"].startswith("W/")  # strong
    cached = await api.http.get(f"/branding/{code}/logo", headers={"If-None-Match": up["etag"]})
    assert cached.status_code == 304
    assert (await api.http.get(f"/branding/{code}/login-background")).status_code == 404
    assert (await api.http.get(f"/branding/{code}/favicon")).status_code == 404
    webp = (await api.data(UPLOAD, tenant.reseller, k="LOGO", d=b64(png(fmt="WEBP"))))[
        "uploadBrandingImage"
    ]
    assert webp["contentType"] == "image/webp"  # replaced
    assert await images_stored(api) == 1
    await update(api, tenant, None, version="CLASSIC")
    assert (await api.http.get(f"/branding/{code}/logo")).status_code == 404  # classic


async def test_bad_images_are_refused_clearly_and_nothing_is_stored(api: Api) -> None:
    tenant = await seed(api)
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG", optimize=True)
    truncated = png((300, 300))
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    cases = [
        (png(), "logo.jpg", "the file is a PNG image but is named .jpg"),
        (svg, "logo.svg", "SVG is not accepted"),
        (truncated[: len(truncated) // 2], "", "damaged or truncated"),
        (bomb.getvalue(), "", "too large once decoded"),
        (png() + b"\x00" * 600_000, "", "at most 524288"),
    ]
    for data, name, says in cases:
        got = (await api.data(UPLOAD, tenant.reseller, k="LOGO", d=b64(data), n=name))[
            "uploadBrandingImage"
        ]
        assert got["__typename"] == "InvalidInput", name
        assert got["errors"][0]["field"] == "dataBase64"
        assert says in got["errors"][0]["message"], got
    not_base64 = (await api.data(UPLOAD, tenant.reseller, k="LOGO", d="***"))["uploadBrandingImage"]
    assert not_base64["errors"][0]["message"] == "not valid base64"
    ten_mb = await api.http.post(
        "/graphql",
        json={"query": UPLOAD, "variables": {"k": "LOGO", "d": "A" * (10 * 1024 * 1024)}},
        headers={"Authorization": f"Bearer {tenant.reseller}"},
    )
    assert ten_mb.status_code == 413
    assert ten_mb.text == "Request body too large"
    assert await images_stored(api) == 0


async def test_tenants_never_see_or_use_each_others_settings(api: Api) -> None:
    a = await seed(api, "acme")
    b = await seed(api, "bravo")
    await update(api, a, None, title="Acme only", replyTo="help@acme.test")
    await api.data(UPLOAD, a.reseller, k="LOGO", d=b64(png()))
    a_package = (await api.data(PUBLISH, a.reseller, source=PACKAGE))["publishPackage"]
    package_id = a_package["versions"][0]["packageId"]
    # B's view: its own defaults, never A's fields or images
    b_view = await read(api, b.reseller)
    assert b_view["settings"]["title"] != "Acme only"
    assert b_view["settings"]["replyTo"] == ""
    assert b_view["images"] == []
    assert (await read(api, b.reseller, a.reseller_id))["__typename"] == "NotFound"
    # B cannot name A's package for its signups; A can
    refused = await update(api, b, None, signupPackageId=package_id)
    assert refused["errors"][0]["field"] == "signupPackageId"
    assert (
        await update(api, a, (await read(api, a.reseller))["updatedAt"], signupPackageId=package_id)
    )["settings"]["signupPackageId"] == package_id
    # B's image route is B's: none
    assert (await api.http.get(f"/branding/{100_000 + b.reseller_id}/logo")).status_code == 404
    # a client reads its own reseller's settings, and may not change them
    made = await api.data(
        CREATE_CLIENT, a.reseller, input={"name": "carol", "email": "carol@example.com"}
    )
    await api.data(SET_LOGIN, a.reseller, c=made["createClient"]["id"], u="carol", p=PASSWORD)
    session = (await api.data(LOGIN, u="carol", p=PASSWORD))["login"]["token"]
    mine = await read(api, session, b.reseller_id)
    assert (mine["resellerId"], mine["settings"]["title"]) == (a.reseller_id, "Acme only")
    forbidden = await api.post(UPDATE, session, i={"title": "x"}, v=None)
    assert forbidden["errors"][0]["message"] == "Forbidden"
    upload = await api.post(UPLOAD, session, k="LOGO", d=b64(png()))
    assert upload["errors"][0]["message"] == "Forbidden"


SIP = """query($s: Int!) {
  sipPassword(subAccountId: $s) { __typename ... on SipPassword { password } }
}"""
SHOW = """mutation($v: DateTime, $on: Boolean!) {
  updatePortalSettings(input: {showSipPasswords: $on}, expectedUpdatedAt: $v) {
    ... on PortalSettings { updatedAt }
  }
}"""


async def test_a_client_reads_its_own_sip_passwords_only_when_shown(api: Api) -> None:
    from tests.api.graphql.helpers import SUB_ACCOUNT, world

    w = await world(api)
    own = (await api.data(SIP, w.a.reseller, s=w.a_sub))["sipPassword"]["password"]
    assert (await api.data(SIP, w.portal, s=w.a_sub))["sipPassword"] == {"__typename": "NotFound"}
    shown = await api.data(SHOW, w.a.reseller, v=None, on=True)
    version = shown["updatePortalSettings"]["updatedAt"]
    got = (await api.data(SIP, w.portal, s=w.a_sub))["sipPassword"]
    assert got == {"__typename": "SipPassword", "password": own}  # decrypted as for the reseller
    other_line = await api.data(SUB_ACCOUNT, w.a.reseller, c=w.a_other, u="carol-line")
    other = other_line["createSubAccount"]["subAccount"]["id"]
    assert (await api.data(SIP, w.portal, s=other))["sipPassword"]["__typename"] == "NotFound"
    assert (await api.data(SIP, w.portal, s=w.b_sub))["sipPassword"]["__typename"] == "NotFound"
    await api.data(SHOW, w.a.reseller, v=version, on=False)
    assert (await api.data(SIP, w.portal, s=w.a_sub))["sipPassword"]["__typename"] == "NotFound"


async def test_the_operator_reads_a_named_resellers_settings(api: Api) -> None:
    tenant = await seed(api)
    await update(api, tenant, None, title="Named")
    got = await read(api, tenant.operator, tenant.reseller_id)
    assert (got["resellerId"], got["settings"]["title"]) == (tenant.reseller_id, "Named")
    assert (await read(api, tenant.operator, 10_000))["__typename"] == "NotFound"
    assert (await read(api, tenant.operator))["__typename"] == "InvalidInput"
