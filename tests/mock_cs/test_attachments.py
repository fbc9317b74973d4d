"""Attachments on customer messages: validated, kept in the transcript by name and size only."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from mock_cs_service.desk import MAX_ATTACHMENT_BYTES

from .conftest import BLENDER

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 120
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 300
DESCRIPTION = (
    f"Order {BLENDER}: the blender arrived with the glass jug cracked right through and the "
    "base scratched along one side."
)


def attachment(
    raw: bytes = PNG, content_type: str = "image/png", name: str = "jug.png"
) -> dict[str, Any]:
    return {"filename": name, "content_type": content_type, "data": base64.b64encode(raw).decode()}


async def transcript(client: httpx.AsyncClient, contact_id: str) -> dict[str, Any]:
    return dict((await client.get(f"/v1/contacts/{contact_id}")).json())


async def test_the_transcript_keeps_name_type_and_size_not_the_data(
    client, open_contact, say
) -> None:
    contact = await open_contact()
    files = [attachment(), attachment(JPEG, "image/jpeg", "box.jpg")]
    response = await say(contact, text="Photos attached.", attachments=files)
    assert response.status_code == 200
    customer = (await transcript(client, contact))["messages"][1]
    assert customer["attachments"] == [
        {"filename": "jug.png", "content_type": "image/png", "size": len(PNG)},
        {"filename": "box.jpg", "content_type": "image/jpeg", "size": len(JPEG)},
    ]
    assert files[0]["data"] not in str(await transcript(client, contact))


async def test_an_attachment_at_the_size_limit_is_accepted(client, open_contact, say) -> None:
    contact = await open_contact()
    big = attachment(b"\x00" * MAX_ATTACHMENT_BYTES, "image/heic", "jug.heic")
    response = await say(contact, text="Here is the photo.", attachments=[big])
    assert response.status_code == 200
    sizes = [a["size"] for a in (await transcript(client, contact))["messages"][1]["attachments"]]
    assert sizes == [MAX_ATTACHMENT_BYTES]


@pytest.mark.parametrize(
    "files",
    [
        [attachment()] * 6,  # too many
        [attachment(b"\x00" * (MAX_ATTACHMENT_BYTES + 1))],  # too big once decoded
        [attachment(content_type="application/pdf")],
        [attachment(content_type="image/gif")],
        [{**attachment(), "data": "not base64 at all!"}],
        [{**attachment(), "data": ""}],
        [{**attachment(), "filename": ""}],
        [{"filename": "a.png", "content_type": "image/png"}],  # no data
        [{**attachment(), "colour": "blue"}],
    ],
)
async def test_bad_attachments_are_422_and_change_nothing(client, open_contact, say, files):
    contact = await open_contact()
    response = await say(contact, text="See attached.", attachments=files)
    assert response.status_code == 422
    assert len((await transcript(client, contact))["messages"]) == 1


async def test_a_photo_satisfies_the_bureaucrat_without_a_word_about_it(
    configure, open_contact, say
) -> None:
    await configure(persona="bureaucratic")
    contact = await open_contact()
    reply = (await say(contact, text=DESCRIPTION, attachments=[attachment()])).json()
    assert reply["asks"] == [] and reply["offer"]["type"] == "full_refund"


@pytest.mark.parametrize(
    "words",
    [
        " Photos attached.",
        " I've attached photos of the jug and of the box it came in.",
        " Here are the pictures (see attachment).",
    ],
)
async def test_words_about_photos_do_not_satisfy_the_bureaucrat(
    configure, open_contact, say, words
) -> None:
    """Saying a photo is attached is not a photo: the desk asks again, and offers nothing."""
    await configure(persona="bureaucratic")
    contact = await open_contact()
    reply = (await say(contact, text=DESCRIPTION + words)).json()
    assert reply["asks"] == ["photos"] and reply["offer"] is None
    then = (await say(contact, text=DESCRIPTION, attachments=[attachment()])).json()
    assert then["asks"] == [] and then["offer"]["type"] == "full_refund"


async def test_without_photo_or_words_the_bureaucrat_asks_for_photos(
    configure, open_contact, say
) -> None:
    await configure(persona="bureaucratic")
    contact = await open_contact()
    reply = (await say(contact, text=DESCRIPTION)).json()
    assert reply["asks"] == ["photos"] and reply["offer"] is None
