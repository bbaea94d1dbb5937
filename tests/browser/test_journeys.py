"""Each role's main journey in a real Chromium (Playwright), as a person would: by role
and label, in Chinese, on a desktop and on a 375 px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_a_territory_and_assigns_a_rep_who_then_sees_it(tworld, live_server, desktop):
    page = desktop.new_page()
    sign_in(page, live_server.url, "admin@a.test", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("管理员A")

    page.get_by_role("link", name=re.compile("组织架构")).first.click()
    page.get_by_role("link", name="上海地区").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("上海地区")

    create = page.locator("details", has=page.locator("summary", has_text="在其下添加节点"))
    create.locator("summary").click()
    create.get_by_label("名称").fill("浦东三区")
    create.get_by_label("层级").select_option(label="辖区")
    create.get_by_role("button", name="添加").click()
    page.wait_for_load_state("networkidle")

    if "浦东三区" not in page.get_by_role("heading", level=1).inner_text():
        page.get_by_role("link", name="浦东三区").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("浦东三区")
    expect(page.get_by_text("空缺").first).to_be_visible()

    assign = page.locator("details", has=page.locator("summary", has_text="指派负责人"))
    assign.locator("summary").click()
    assign.get_by_label("负责人").select_option(label="rep2 a <rep2@a.test>")
    assign.get_by_role("button", name="指派").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("cell", name=re.compile("rep2 a")).first).to_be_visible()

    # The rep signs in (a fresh browser context) and sees the territory on the home page.
    rep_context = desktop.browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    rep_page = rep_context.new_page()
    sign_in(rep_page, live_server.url, "rep2@a.test", PASSWORD)
    rep_page.goto(f"{live_server.url}/")  # a rep lands on the day plan; the positions are on home
    expect(rep_page.get_by_role("heading", name="我的岗位")).to_be_visible()
    expect(rep_page.get_by_text("浦东三区")).to_be_visible()
    rep_context.close()


def test_user_of_tenant_b_cannot_open_a_url_of_tenant_a(tworld, live_server, desktop):
    node = tworld.nodes["a"]["district"]
    page = desktop.new_page()
    sign_in(page, live_server.url, "admin@b.test", PASSWORD)
    response = page.goto(f"{live_server.url}/org/nodes/{node.code}/")
    assert response.status == 404
    assert "上海地区" not in page.content() or "乙制药" in page.content()
    response = page.goto(f"{live_server.url}/audit/accounts_orgnode/{node.code}/")
    assert response.status == 404


def test_rep_home_works_on_a_phone_in_chinese_and_english(tworld, live_server, phone):
    page = phone.new_page()
    sign_in(page, live_server.url, "rep@a.test", PASSWORD)
    expect(page.get_by_role("heading", name="今天")).to_be_visible()  # a rep lands on the day plan
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="我的岗位")).to_be_visible()
    expect(page.get_by_text("浦东一区")).to_be_visible()
    assert no_sideways_scroll(page)
    # The menu opens from the toggler on a phone.
    page.get_by_role("button", name=re.compile("打开菜单|Open menu")).click()
    expect(page.get_by_role("link", name=re.compile("首页"))).to_be_visible()
    # Switch to English on the profile page: the choice sticks after signing in again.
    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_label("语言").select_option("en")
    page.get_by_role("button", name="保存").click()
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="My positions")).to_be_visible()
    assert no_sideways_scroll(page)


@pytest.mark.parametrize("path", ["/", "/org/", "/users/", "/audit/"])
def test_admin_pages_fit_a_375_px_phone(tworld, live_server, phone, path):
    page = phone.new_page()
    sign_in(page, live_server.url, "admin@a.test", PASSWORD)
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 200
    assert no_sideways_scroll(page), f"{path} scrolls sideways at 375 px"
