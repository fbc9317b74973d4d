"""The web app in a real browser (Debian's chromium, headless) against a real fleet.

A customer signs up, links the retailer account, starts a case, approves the strategy and
the outcome, sees it resolved and rates it; CS text that carries markup shows as text; an
operator signs in to the ops console and resolves an escalation. Judged by the page's
visible text and by the fleet itself (the mock desk's ledger, the coordinator's API).

Skipped only where chromium is absent and this is not CI (CI=true: it fails instead).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from csn.scenarios import evidence_photo
from tests.fleet import OPS_TOKEN, REPO, Fleet, running_fleet

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ORDER_ID = "112-4839201-5839201"
EMAIL_ON_FILE = "alex.morgan@example.com"
MARKUP = '<img src=x onerror="window.__xss=1"><b>Bold</b>'
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
SHOTS = os.environ.get("CSN_SCREENSHOTS")  # a folder: keep screenshots there (docs/screenshots)


def _browser_available() -> bool:
    return Path(CHROMIUM).exists()


if not _browser_available() and os.environ.get("CI", "").lower() not in ("true", "1"):
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)

from axe_playwright_python.sync_playwright import Axe  # noqa: E402
from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

expect.set_options(timeout=15_000)  # a loaded CI machine answers slower than a laptop


def mock_data_with_markup(path: Path) -> Path:
    """The shipped order data, with markup in the blender's title (CS repeats item titles)."""
    data = json.loads((REPO / "mock_cs_service/data/orders.json").read_text())
    for order in data["orders"]:
        if order["order_id"] == ORDER_ID:
            order["items"][0]["title"] = f"Blender {MARKUP}"
    path.write_text(json.dumps(data))
    return path


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[Fleet]:
    var = tmp_path_factory.mktemp("web")
    env = {
        "CSN_MOCK_DATA": str(mock_data_with_markup(var / "orders.json")),
        # half-second days: the refund CS agreed posts, and the case is fulfilled, in seconds
        "CSN_DAY_SECONDS": "0.5",
    }
    with running_fleet(var / "fleet", extra_env={"CSN_LOG_LEVEL": "WARNING", **env}) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    assert _browser_available(), f"chromium not found at {CHROMIUM}"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    yield opened
    context.close()


def test_sign_up_link_start_approve_resolve_and_rate(fleet: Fleet, page: Page) -> None:
    started = time.monotonic()
    base = fleet.url("coordinator_agent")
    page.goto(base + "/")
    page.get_by_role("link", name="Create one").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Link your retailer account to start a case")).to_be_visible()

    page.get_by_label("Order number").fill("999-9999999-9999999")
    page.get_by_label("Email on file").fill(EMAIL_ON_FILE)
    page.get_by_role("button", name="Link account").click()
    expect(page.get_by_role("alert")).to_contain_text("no order")
    page.get_by_label("Order number").fill(ORDER_ID)
    page.get_by_role("button", name="Link account").click()
    expect(page.get_by_text("Linked retailer customer C-1001")).to_be_visible()
    _shot(page, "home")

    page.get_by_label("What went wrong?").fill(
        "My blender arrived with a cracked jug. I'd like a full refund please."
    )
    page.get_by_label("Order (optional)").select_option(ORDER_ID)
    original = photo_with_gps()
    page.get_by_label("Photos").set_input_files(
        {"name": "cracked-jug.jpg", "mimeType": "image/jpeg", "buffer": original}
    )
    page.get_by_role("button", name="Start").click()
    status = page.get_by_role("status")
    expect(status).to_have_text("Waiting for your approval", timeout=60_000)
    expect(page.get_by_text("Our plan")).to_be_visible()
    expect(page.locator("#photo-list")).to_contain_text("Photo 1: JPEG, 320 × 240")
    _shot(page, "strategy")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Customer service offers")).to_be_visible(timeout=60_000)
    expect(status).to_have_text("Waiting for your approval")
    _shot(page, "outcome")
    page.get_by_role("button", name="Approve").click()
    expect(status).to_have_text("Done: customer service kept its word", timeout=60_000)
    expect(page.get_by_text("Customer service granted")).to_be_visible()
    expect(page.get_by_text("What customer service promised")).to_be_visible()
    expect(page.get_by_text("exchange", exact=False).first).to_be_visible()

    page.get_by_label("Your rating").select_option("5")
    page.get_by_role("button", name="Rate").click()
    expect(page.get_by_text("You rated this case 5 out of 5")).to_be_visible()
    _shot(page, "resolved")

    page.get_by_role("link", name="All cases").click()
    expect(page.locator("#cases")).to_contain_text("Done: customer service kept its word")
    ledger = httpx.get(fleet.url("mock_cs_service") + "/v1/admin/ledger").json()["agreements"]
    assert [(a["customer_id"], a["order_id"], a["type"]) for a in ledger][-1:] == [
        ("C-1001", ORDER_ID, "full_refund")
    ]
    [case] = _api_cases(fleet, "robin@example.com")
    [kept] = case["photos"]  # stored as a JPEG of the same picture, without its EXIF
    assert (kept["content_type"], kept["width"], kept["height"]) == ("image/jpeg", 320, 240)
    assert kept["size"] < len(original)
    print(f"browser journey: {time.monotonic() - started:.1f} s")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    page.get_by_label("Email").fill("robin@example.com")
    page.get_by_label("Password").fill("wrong passphrase")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong email or password")


def test_cs_text_with_markup_shows_as_text(fleet: Fleet, page: Page) -> None:
    """On the chat channel CS names the item now and then (its phrasing is drawn at random
    per seed): cases are opened until it does; the title's markup is then shown as words,
    never rendered, and its script never runs."""
    cs = fleet.url("mock_cs_service") + "/v1/admin/config"
    page.goto(fleet.url("coordinator_agent") + "/")
    page.get_by_role("link", name="Create one").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    page.get_by_label("Email").fill("sky@example.com")
    page.get_by_label("Password").fill("a long passphrase")
    page.get_by_role("button", name="Create account").click()
    page.get_by_label("Order number").fill(ORDER_ID)
    page.get_by_label("Email on file").fill(EMAIL_ON_FILE)
    page.get_by_role("button", name="Link account").click()
    expect(page.get_by_text("Linked retailer customer C-1001")).to_be_visible()
    named = page.locator("#conversation li.cs").filter(has_text=MARKUP)
    try:
        for seed in range(8):
            config = {"persona": "cooperative", "channel": "text", "seed": seed}
            httpx.put(cs, json=config).raise_for_status()
            if _a_case_in_the_browser(page, seed) and named.count():
                break
        expect(named.first).to_be_visible()
        assert page.locator("#conversation img, #conversation b").count() == 0
        assert page.evaluate("window.__xss") is None
    finally:
        httpx.put(cs, json={"channel": "structured", "seed": 0}).raise_for_status()


def _a_case_in_the_browser(page: Page, seed: int) -> bool:
    """Start a replacement case from the home page, approve what it asks, wait for its end."""
    page.get_by_role("link", name="My cases").click()
    page.get_by_label("What went wrong?").fill(
        f"Order {ORDER_ID}: the blender arrived with a cracked jug (try {seed}). "
        "Please send a replacement."
    )
    page.get_by_role("button", name="Start").click()
    status = page.get_by_role("status")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        text = status.text_content() or ""
        if text in (
            "Done: customer service kept its word",
            "Resolved",
            "Handed to a person on our team",
            "Could not be resolved",
        ):
            return True
        approve = page.get_by_role("button", name="Approve")
        if approve.count():
            approve.click()
            expect(status).not_to_have_text("Waiting for your approval")
        page.wait_for_timeout(200)
    return False


def photo_with_gps(seed: int = 1) -> bytes:
    """A real JPEG (the simulated customer's) with EXIF that says where it was taken."""
    image = Image.open(io.BytesIO(evidence_photo(seed)))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 12.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _api_cases(fleet: Fleet, email: str) -> list[dict]:
    """The account's cases as the API serves them (signed in with the test's password)."""
    base = fleet.url("coordinator_agent")
    login = httpx.post(
        f"{base}/v1/auth/login", json={"email": email, "password": "a long passphrase"}
    )
    headers = {"Authorization": f"Bearer {login.json()['token']}"}
    listed = httpx.get(f"{base}/v1/sessions", headers=headers).json()["sessions"]
    return [
        httpx.get(f"{base}/v1/sessions/{c['session_id']}", headers=headers).json() for c in listed
    ]


def test_cs_asks_for_photos_and_the_case_page_takes_them(fleet: Fleet, page: Page) -> None:
    """A by-the-book desk wants photos the case does not have: the case page says so, the
    customer adds one there, the case carries on; a fake photo is refused in words."""
    cs = fleet.url("mock_cs_service") + "/v1/admin/config"
    httpx.put(cs, json={"persona": "bureaucratic", "seed": 1}).raise_for_status()
    try:
        page.goto(fleet.url("coordinator_agent") + "/")
        page.get_by_role("link", name="Create one").click()
        page.get_by_label("Email").fill("ash@example.com")
        page.get_by_label("Password").fill("a long passphrase")
        page.get_by_role("button", name="Create account").click()
        page.get_by_label("Order number").fill(ORDER_ID)
        page.get_by_label("Email on file").fill(EMAIL_ON_FILE)
        page.get_by_role("button", name="Link account").click()
        expect(page.get_by_text("Linked retailer customer C-1001")).to_be_visible()
        page.get_by_label("What went wrong?").fill(
            f"Order {ORDER_ID}: the blender arrived with its jug cracked. A full refund please."
        )
        page.get_by_role("button", name="Start").click()
        status = page.get_by_role("status")
        expect(status).to_have_text("Waiting for your approval", timeout=60_000)
        page.get_by_role("button", name="Approve").click()
        expect(status).to_have_text(
            "Customer service asked for something only you have", timeout=60_000
        )
        expect(page.get_by_text("Add them under")).to_be_visible()
        photos = page.get_by_label("Photos")
        photos.set_input_files(
            {"name": "jug.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo at all"}
        )
        page.get_by_role("button", name="Add photos").click()
        expect(page.get_by_role("alert")).to_contain_text("not a photo")
        _shot(page, "photos")
        findings = serious_findings(page)
        assert not findings, findings
        photos.set_input_files(
            {"name": "jug.jpg", "mimeType": "image/jpeg", "buffer": photo_with_gps(2)}
        )
        page.get_by_role("button", name="Add photos").click()
        expect(page.locator("#photo-list")).to_contain_text("Photo 1: JPEG")
        expect(page.locator("#conversation")).to_contain_text("(with 1 photo)", timeout=60_000)
        expect(status).to_have_text("Waiting for your approval", timeout=60_000)
        expect(page.get_by_text("Customer service offers")).to_be_visible()
        expect(
            page.get_by_label("Changed your mind? Tell us what you want instead")
        ).to_be_visible()
    finally:
        httpx.put(cs, json={"persona": "cooperative", "seed": 0}).raise_for_status()


def test_keyboard_only_with_no_serious_accessibility_findings(fleet: Fleet, page: Page) -> None:
    """Sign up, link, start and approve a case with the keyboard alone; axe-core scans each
    page on the way and finds nothing serious or critical."""
    findings: dict[str, list[str]] = {}
    page.goto(fleet.url("coordinator_agent") + "/")
    findings["sign-in"] = serious_findings(page)
    tab_to(page, "Create one").press("Enter")
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    tab_to(page, "Email").type("kit@example.com")
    tab_to(page, "Password").type("a long passphrase")
    tab_to(page, "Create account").press("Enter")
    expect(page.get_by_label("Order number")).to_be_visible()
    findings["home"] = serious_findings(page)
    tab_to(page, "Order number").type(ORDER_ID)
    tab_to(page, "Email on file").type(EMAIL_ON_FILE)
    tab_to(page, "Link account").press("Enter")
    expect(page.get_by_text("Linked retailer customer C-1001")).to_be_visible()
    tab_to(page, "What went wrong?").type(f"Order {ORDER_ID}: my blender arrived cracked.")
    tab_to(page, "Start").press("Enter")
    expect(page.get_by_role("status")).to_have_text("Waiting for your approval", timeout=60_000)
    findings["case"] = serious_findings(page)
    tab_to(page, "Reject").press("Enter")
    expect(page.get_by_label("What would you accept instead?")).to_be_focused()
    page.evaluate("refreshCase()")  # a live update that changes nothing keeps focus and form
    expect(page.get_by_label("What would you accept instead?")).to_be_focused()
    tab_to(page, "Approve").press("Enter")
    expect(page.get_by_text("Customer service offers")).to_be_visible(timeout=60_000)
    tab_to(page, "Approve").press("Enter")
    expect(page.get_by_role("status")).to_have_text(
        "Done: customer service kept its word", timeout=60_000
    )
    findings["result"] = serious_findings(page)
    page.goto(fleet.url("coordinator_agent") + "/ops")
    findings["ops"] = serious_findings(page)
    print("axe-core serious/critical findings:", findings)
    assert not any(findings.values()), findings


def tab_to(page: Page, name: str, presses: int = 60):
    """Press Tab until the focused control has this accessible name; return it as a locator."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        label = page.evaluate(
            """() => { const e = document.activeElement;
                if (!e || e === document.body) return null;
                return (e.labels && e.labels[0] ? e.labels[0].textContent : e.textContent).trim(); }"""
        )
        if label == name:
            return page.locator("*:focus")
    raise AssertionError(f"no control named {name!r} is reachable with Tab")


def serious_findings(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, by rule id (all are printed)."""
    violations = Axe().run(page).response["violations"]
    print(page.url, "axe-core:", [f"{v['impact']} {v['id']}" for v in violations] or "none")
    return [
        f"{v['id']}: {v['help']}" for v in violations if v.get("impact") in ("serious", "critical")
    ]


def test_the_ops_console_resolves_an_escalation(fleet: Fleet, page: Page) -> None:
    base = fleet.url("coordinator_agent")
    headers = fleet.account("C-1002")
    body = {"message": "Order 113-1122334-4455667 never arrived, I want my money back."}
    httpx.put(
        fleet.url("mock_cs_service") + "/v1/admin/config", json={"persona": "unresponsive"}
    ).raise_for_status()
    try:
        created = httpx.post(f"{base}/v1/sessions", json=body, headers=headers, timeout=10)
        assert created.status_code == 202, created.text
        session = f"{base}/v1/sessions/{created.json()['session_id']}"
        _drive_to_escalation(session, headers)
    finally:
        httpx.put(
            fleet.url("mock_cs_service") + "/v1/admin/config", json={"persona": "cooperative"}
        ).raise_for_status()

    page.goto(base + "/ops")
    page.get_by_label("Ops token").fill("not the token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("ops token")
    page.get_by_label("Ops token").fill(OPS_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Escalation queue")).to_be_visible()
    page.get_by_text("Dossier").first.click()
    expect(page.locator("pre").first).to_contain_text("113-1122334-4455667")
    _shot(page, "ops", full_page=False)  # the dossier runs long
    page.get_by_label("Note").first.fill("Refund issued by phone")
    page.get_by_role("button", name="Resolve").first.click()
    expect(page.get_by_text("Nothing in the queue.")).to_be_visible()
    doc = httpx.get(session, headers=headers).json()
    assert doc["state"] == "resolved"


def _drive_to_escalation(session: str, headers: dict[str, str]) -> None:
    """Approve what the case asks until a person has to take it over."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        doc = httpx.get(session, headers=headers, timeout=10).json()
        if doc["state"] in ("escalated", "cs_unavailable"):
            return
        assert doc["state"] not in ("resolved", "monitoring", "fulfilled", "failed", "cancelled")
        if doc["awaiting"] in ("strategy", "outcome"):
            httpx.post(f"{session}/decisions", json={"decision": "approve"}, headers=headers)
        time.sleep(0.3)
    raise AssertionError("the case never reached the human queue")


def _shot(page: Page, name: str, full_page: bool = True) -> None:
    """With CSN_SCREENSHOTS=docs/screenshots, refresh the README's screenshots."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=full_page)
