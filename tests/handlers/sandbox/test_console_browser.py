"""Two journeys through the console in headless Chromium, with a screenshot of each step.

A type A customer whose card was stolen updates the payment method on billing's page; a
type C customer asks for more payments than the bot may agree, a team lead approves in the
staff pane after an agent is refused, and the customer accepts. Debian's chromium is driven
by Playwright (never `playwright install`); the screenshots go to tests/artifacts/sandbox.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from handlers.sandbox import Sandbox

CHROMIUM = Path("/usr/bin/chromium")
# PITFALLS.md, "Browser and database in CI".
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "sandbox"
WAIT_MS = 15_000


@pytest.fixture
def chromium() -> Path:
    """Debian's chromium; without it the test is skipped, or fails where CI requires it."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing; .ci/setup.d/chromium.sh installs Debian's chromium"
        if os.environ.get("SETTLE_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), args=FLAGS)
        yield launched
        await launched.close()


class Steps:
    """Numbered screenshots of one journey."""

    def __init__(self, page: Page, journey: str) -> None:
        self.page = page
        self.folder = ARTIFACTS / journey
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    async def shot(self, name: str, page: Page | None = None) -> None:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{name}.png"
        await (page or self.page).screenshot(path=path, full_page=True)
        print(f"screenshot {path}")


def chat(page: Page) -> Locator:
    return page.locator("#chat")


async def last_bot_button(page: Page, label: str) -> None:
    message = page.locator("#chat .msg.bot").filter(has=page.get_by_role("button", name=label))
    await message.last.get_by_role("button", name=label).click()


async def test_a_stolen_card_is_replaced_on_billings_page(
    sandbox: tuple[Sandbox, str], browser: Browser
) -> None:
    _box, origin = sandbox
    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
    steps = Steps(page, "type-a-stolen-card")
    await page.goto(f"{origin}/sandbox?customer=C-101")
    await steps.shot("customer-picked")

    await page.get_by_role("button", name="Open the bot as C-101").click()
    first = page.locator("#chat .msg.bot").filter(has_text="Amount due: $300.00")
    await expect(first).to_contain_text("card payment was declined", timeout=WAIT_MS)
    await steps.shot("first-message")
    async with page.context.expect_page() as opened:
        await first.get_by_role("link", name="Update payment method").click()
    billing = await opened.value
    await billing.get_by_label("New card's last four digits").fill("1881")
    await steps.shot("billing-page", billing)
    await billing.get_by_role("button", name="Save").click()
    await expect(billing.locator("#done")).to_contain_text("applied", timeout=WAIT_MS)
    await steps.shot("billing-page-saved", billing)
    await page.bring_to_front()
    thanks = page.locator("#chat .msg.bot").last
    await expect(thanks).to_contain_text("Thank you for updating", timeout=WAIT_MS)
    await expect(page.locator("#heard")).to_contain_text("retry_requested", timeout=WAIT_MS)
    await steps.shot("customer-thanked")

    said = (await page.locator("#chat").inner_text()).casefold()
    assert [word for word in ("stolen", "theft", "fraud") if word in said] == []


async def test_a_plan_beyond_the_bot_is_approved_by_staff_and_accepted(
    sandbox: tuple[Sandbox, str], browser: Browser
) -> None:
    _box, origin = sandbox
    page = await browser.new_page(viewport={"width": 1600, "height": 1100})
    steps = Steps(page, "type-c-plan-approved")
    await page.goto(f"{origin}/sandbox?customer=C-201&staff=U-ANA")

    await page.get_by_role("button", name="Open the bot as C-201").click()
    await expect(chat(page)).to_contain_text("past its due date", timeout=WAIT_MS)
    await steps.shot("first-message")
    await last_bot_button(page, "Choose a payment plan")
    await expect(chat(page)).to_contain_text("I need more time to pay", timeout=WAIT_MS)
    await last_bot_button(page, "I need more time to pay")
    await expect(chat(page)).to_contain_text("How many monthly payments", timeout=WAIT_MS)
    await steps.shot("asks-for-more-time")
    await last_bot_button(page, "12")
    asked = "12 monthly payments of about $25.00"
    await expect(chat(page)).to_contain_text(asked, timeout=WAIT_MS)
    post = page.locator("#desk .post").first
    await expect(post.get_by_role("button", name="Approve")).to_be_visible(timeout=WAIT_MS)
    await steps.shot("request-posted-to-staff")

    await post.get_by_role("button", name="Approve").click()
    refusal = page.locator("#ephemeral")
    await expect(refusal).to_contain_text("team lead", timeout=WAIT_MS)
    await steps.shot("agent-refused")
    await page.get_by_label("Acting as").select_option("U-BEN")
    await page.get_by_role("button", name="Switch").click()
    await page.locator("#desk .post").first.get_by_role("button", name="Approve").click()
    offer = page.locator("#chat .msg.bot").filter(has_text="Good news")
    await expect(offer).to_contain_text("$300.00", timeout=WAIT_MS)
    await steps.shot("approved-offer-sent")

    await offer.last.get_by_role("button", name="I accept").click()
    await expect(chat(page)).to_contain_text("Thank you, your plan is set.", timeout=WAIT_MS)
    desk = page.locator("#desk")
    await expect(desk).to_contain_text("The customer's answer: accepted", timeout=WAIT_MS)
    await steps.shot("customer-accepted")

    await page.get_by_label("Acting as").select_option("U-SARA")
    await page.get_by_role("button", name="Switch").click()
    await page.get_by_role("button", name="Open App Home").click()
    await expect(page.locator("#home")).not_to_contain_text("Not opened yet", timeout=WAIT_MS)
    before = await page.locator("#now").inner_text()
    await page.get_by_role("button", name="+1 day").click()
    await expect(page.locator("#now")).not_to_have_text(before, timeout=WAIT_MS)
    await steps.shot("supervisor-home-next-day")

    assert re.match(r"Mon 04 Mar 2024 14:00 UTC", before)
    assert await page.locator("#now").inner_text() == "Tue 05 Mar 2024 14:00 UTC"


@pytest.mark.parametrize(("customer", "greeting"), [("C-102", "שלום!"), ("C-204", "مرحبًا!")])
async def test_hebrew_and_arabic_read_right_to_left(
    sandbox: tuple[Sandbox, str], browser: Browser, customer: str, greeting: str
) -> None:
    _box, origin = sandbox
    page = await browser.new_page(viewport={"width": 1600, "height": 1000})
    steps = Steps(page, f"right-to-left-{customer}")
    await page.goto(f"{origin}/sandbox?customer={customer}")

    await page.get_by_role("button", name=f"Open the bot as {customer}").click()
    first = page.locator("#chat .msg.bot .text").filter(has_text=greeting)
    await expect(first).to_be_visible(timeout=WAIT_MS)
    await steps.shot("first-message")

    assert await first.evaluate("e => getComputedStyle(e).direction") == "rtl"
