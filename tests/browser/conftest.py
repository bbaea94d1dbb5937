"""Playwright on Debian's Chromium (no browser download: see stack.md)."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Browser tests need Chromium: install Debian's `chromium` (and `fonts-noto-cjk`), "
                    "e.g. `apt-get install chromium fonts-noto-cjk`, or set CHROMIUM_PATH.")
    return path


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def desktop(chromium):
    context = chromium.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                                   locale="zh-CN", timezone_id="Asia/Shanghai")
    yield context
    context.close()


def sign_in(page, base_url: str, email: str, password: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("邮箱").or_(page.get_by_label("Email")).fill(email)
    page.get_by_label("密码").or_(page.get_by_label("Password")).fill(password)
    page.get_by_role("button", name="登录").or_(page.get_by_role("button", name="Sign in")).click()
    page.wait_for_load_state("networkidle")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
