"""Evidence photos over the customer API: checked by their bytes, stripped of metadata, stored
sealed, all or nothing; and a case that waits for the photos CS asked for carries on with them.

Judged from outside the code under test: Pillow reads back what was stored (and what the
negotiation agent received), the database's own bytes are read with SQL.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pillow_heif
import pytest
from PIL import Image
from sqlalchemy import text

from coordinator_agent.account_api import COOKIE, CSRF_HEADER
from shared import limits
from tests.coordinator.coordinator_fakes import (
    ORDER_ID,
    PASSWORD,
    Fleet,
    account,
    auth,
    sign_up,
    submit,
    wait_for,
)

GPS_IFD, MAKE, ORIENTATION = 0x8825, 0x010F, 0x0112


def photo(kind: str = "JPEG", size: tuple[int, int] = (64, 48), gps: bool = True, **extra) -> bytes:
    """A real image; with `gps`, EXIF that says where it was taken and with what camera."""
    image = Image.new("RGB", size, (180, 40, 40))
    image.paste((0, 0, 255), (0, 0, 16, 16))  # a mark to check the pixels survive
    exif = Image.Exif()
    if gps:
        exif[MAKE] = "Phone maker"
        exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    for tag, value in extra.items():
        exif[int(tag[1:])] = value
    out = io.BytesIO()
    if kind == "HEIF":
        pillow_heif.register_heif_opener()
        image.save(out, "HEIF", exif=exif.tobytes())
    else:
        image.save(out, kind, exif=exif)
    return out.getvalue()


def body(*raws: bytes, name: str = "jug.jpg") -> dict[str, Any]:
    return {"photos": [{"filename": name, "data": base64.b64encode(r).decode()} for r in raws]}


async def add(client, sid: str, headers: dict[str, str], *raws: bytes, **kw):
    return await client.post(f"/v1/sessions/{sid}/photos", json=body(*raws, **kw), headers=headers)


def stored(app, sid: str) -> list[bytes]:
    return [p.data for p in app.state.store.photos(sid)]


async def test_a_photo_is_stored_without_its_gps_and_camera_and_sealed(coordinator) -> None:
    app, client = coordinator
    sid, token = await submit(client)
    original = photo()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the fixture has GPS
    response = await add(client, sid, await account(client), original)
    assert response.status_code == 201, response.text
    assert response.json()["detail"] == "1 photo added"
    [kept] = stored(app, sid)
    image = Image.open(io.BytesIO(kept))
    assert image.format == "JPEG" and image.size == (64, 48)
    exif = image.getexif()
    assert not exif.get_ifd(GPS_IFD) and MAKE not in exif and len(exif) == 0
    assert "exif" not in image.info and "xmp" not in image.info
    assert image.getpixel((4, 4))[2] > 200 and image.getpixel((40, 40))[0] > 150
    with app.state.store.engine.connect() as conn:
        sealed = conn.execute(text("SELECT data FROM photos WHERE session_id = :s"), {"s": sid})
        raw = sealed.scalar_one()
    assert not raw.startswith(b"\xff\xd8") and kept not in raw and b"Phone maker" not in raw
    doc = (await client.get(f"/v1/sessions/{sid}", headers=auth(token))).json()
    assert [(p["seq"], p["content_type"], p["width"]) for p in doc["photos"]] == [
        (1, "image/jpeg", 64)
    ]
    assert doc["photos"][0]["size"] == len(kept) and "data" not in doc["photos"][0]


async def test_png_keeps_no_exif_and_heic_becomes_a_jpeg_without_it(coordinator) -> None:
    app, client = coordinator
    sid, _ = await submit(client)
    response = await add(client, sid, await account(client), photo("PNG"), photo("HEIF"))
    assert response.status_code == 201, response.text
    png, heic = (Image.open(io.BytesIO(b)) for b in stored(app, sid))
    assert png.format == "PNG" and len(png.getexif()) == 0 and "exif" not in png.info
    assert heic.format == "JPEG" and len(heic.getexif()) == 0


async def test_a_sideways_photo_is_turned_upright_before_its_exif_goes(coordinator) -> None:
    app, client = coordinator
    sid, _ = await submit(client)
    sideways = photo(size=(64, 48), gps=False, t274=6)  # orientation 6: rotate 90 degrees
    assert (await add(client, sid, await account(client), sideways)).status_code == 201
    [kept] = stored(app, sid)
    assert Image.open(io.BytesIO(kept)).size == (48, 64)


@pytest.mark.parametrize(
    ("raws", "status", "words"),
    [
        ([b"I am a text file, named jug.jpg"], 415, "not a photo"),
        ([b"GIF89a" + b"\x00" * 64], 415, "not a photo"),
        ([b"\xff\xd8\xff\xe0" + b"\x01" * 400], 422, "could not be read"),  # a JPEG's header only
        ([photo()[:200]], 422, "could not be read"),  # cut short
        ([b"\xff\xd8\xff" + b"\x00" * limits.MAX_PHOTO_BYTES], 413, "at most 5 MB"),
        ([photo(), b"plain text"], 415, "photo 2"),  # one bad photo: none is stored
    ],
)
async def test_what_is_not_a_photo_we_take_is_a_clear_4xx_and_nothing_is_stored(
    coordinator, raws, status, words
) -> None:
    app, client = coordinator
    sid, _ = await submit(client)
    response = await add(client, sid, await account(client), *raws)
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert stored(app, sid) == [] and app.state.store.get(sid).document["photos"] == []
    assert "photos_added" not in [e.type for e in app.state.store.events(sid)]


async def test_bad_bodies_are_4xx(coordinator) -> None:
    app, client = coordinator
    sid, _ = await submit(client)
    headers = await account(client)
    url = f"/v1/sessions/{sid}/photos"
    for bad in (
        {"photos": []},
        {"photos": [{"data": "not base64 at all!"}]},
        {"photos": [{"data": base64.b64encode(photo()).decode(), "colour": "blue"}]},
        {"photo": "x"},
    ):
        response = await client.post(url, json=bad, headers=headers)
        assert response.status_code == 422, (bad, response.text)
    huge = b'{"photos": [{"data": "' + b"A" * limits.MAX_PHOTO_BODY_BYTES + b'"}]}'
    response = await client.post(
        url, content=huge, headers={**headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert stored(app, sid) == []


async def test_a_case_takes_five_photos_at_most(coordinator) -> None:
    app, client = coordinator
    sid, _ = await submit(client)
    headers = await account(client)
    six = [photo(gps=False)] * 6
    assert (await add(client, sid, headers, *six)).status_code == 422
    assert (await add(client, sid, headers, *six[:3])).status_code == 201
    refused = await add(client, sid, headers, *six[:3])
    assert refused.status_code == 422 and "at most 5 photos" in refused.json()["detail"]
    assert len(stored(app, sid)) == 3
    assert (await add(client, sid, headers, *six[:2])).status_code == 201
    assert [p.seq for p in app.state.store.photos(sid)] == [1, 2, 3, 4, 5]


async def test_another_accounts_case_is_a_404_and_gets_no_photo(coordinator) -> None:
    app, client = coordinator
    sid, token = await submit(client)
    stranger = await sign_up(client, "stranger@example.com", link=None)
    response = await add(client, sid, stranger, photo())
    assert response.status_code == 404
    assert (await add(client, "f" * 32, await account(client), photo())).status_code == 404
    assert (await add(client, sid, {}, photo())).status_code == 401
    assert stored(app, sid) == []
    assert (await add(client, sid, auth(token), photo())).status_code == 201  # the share link


async def test_with_the_page_cookie_photos_need_the_csrf_token(coordinator) -> None:
    app, client = coordinator
    await sign_up(client, "lee@example.com")
    login = await client.post(
        "/v1/auth/login", json={"email": "lee@example.com", "password": PASSWORD}
    )
    assert COOKIE in login.cookies
    created = await client.post(
        "/v1/sessions",
        json={"message": f"order {ORDER_ID} arrived broken"},
        headers={CSRF_HEADER: login.json()["csrf_token"]},
    )
    sid = created.json()["session_id"]
    forged = await add(client, sid, {}, photo())
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert stored(app, sid) == []
    good = await add(client, sid, {CSRF_HEADER: login.json()["csrf_token"]}, photo())
    assert good.status_code == 201


async def test_a_new_case_may_come_with_its_photos_all_or_nothing(coordinator) -> None:
    app, client = coordinator
    headers = await account(client)
    message = {"message": f"My blender {ORDER_ID} arrived cracked", **body(b"not an image")}
    refused = await client.post("/v1/sessions", json=message, headers=headers)
    assert refused.status_code == 415 and app.state.store.count_by_state() == {}
    message.update(body(photo(), photo("PNG")))
    created = await client.post("/v1/sessions", json=message, headers=headers)
    assert created.status_code == 202, created.text
    sid = created.json()["session_id"]
    kept = stored(app, sid)
    assert [Image.open(io.BytesIO(b)).format for b in kept] == ["JPEG", "PNG"]
    assert all(len(Image.open(io.BytesIO(b)).getexif()) == 0 for b in kept)


async def test_a_case_over_takes_no_more_photos(coordinator) -> None:
    app, client = coordinator
    sid, token = await submit(client)
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    await client.post(f"/v1/sessions/{sid}/cancel", headers=auth(token))
    response = await add(client, sid, auth(token), photo())
    assert response.status_code == 409 and "cancelled" in response.json()["detail"]
    assert stored(app, sid) == []


async def test_a_case_waiting_for_photos_carries_on_when_they_are_added(
    coordinator, fleet: Fleet
) -> None:
    """CS asks for photos, the case has none: it waits; the photos added go to the
    negotiation agent as file parts (stripped, as stored) with the next round, once."""
    app, client = coordinator
    fleet.desk.asks_for, fleet.desk.rounds_to_agree = "photos", 3
    sid, token = await submit(client, auto_approve=True)
    doc = await wait_for(client, sid, token, {"awaiting_customer_input"})
    assert doc["photos_wanted"] is True and "photos" in doc["question"]
    response = await add(client, sid, auth(token), photo(), photo("PNG"))
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "negotiating"
    doc = await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    assert doc["photos_wanted"] is False and doc["question"] is None
    assert fleet.desk.photos == {f"{sid}:1:2": stored(app, sid)}  # the stripped bytes, once
    assert "2 photos attached" in doc["negotiation"]["rounds"][1]["sent"]
    inputs = [i for s, i in fleet.negotiation.calls if s == "negotiate"]
    assert [i["photos_available"] for i in inputs] == [0, 2, 2]


async def test_photos_added_while_nothing_waits_for_them_change_no_state(
    coordinator, fleet: Fleet
) -> None:
    app, client = coordinator
    sid, token = await submit(client)
    await wait_for(client, sid, token, {"awaiting_strategy_approval"})
    response = await add(client, sid, auth(token), photo())
    assert response.status_code == 201
    assert response.json()["state"] == "awaiting_strategy_approval"
    events = (await client.get(f"/v1/sessions/{sid}/events", headers=auth(token))).json()
    added = [e for e in events["events"] if e["type"] == "photos_added"]
    assert [e["detail"] for e in added] == [{"count": 1, "photos": 1}]


async def test_the_call_that_opens_the_chat_carries_the_photos_the_case_has(
    coordinator, fleet: Fleet
) -> None:
    """A greeting may ask for photos (a by-the-book desk's does): the first negotiate call
    brings them, so the opening can show them without a round trip to the customer."""
    app, client = coordinator
    sid, token = await submit(client, auto_approve=True, **body(photo()))
    await wait_for(client, sid, token, {"awaiting_outcome_approval"})
    first = f"{sid}:1:1"
    assert fleet.desk.photos.get(first) == stored(app, sid)
    assert [k for k in fleet.desk.photos if k != first] == []  # then only when asked
