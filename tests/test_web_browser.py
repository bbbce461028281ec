"""archive serve in a real browser: headless Chromium (Debian's chromium and chromedriver)
driven by Selenium against ``archive serve`` started as a command.

Skipped, saying why, where chromium or chromedriver is missing (CI installs both:
.ci/run). With ``ARCHIVE_SCREENSHOTS=DIR`` the search and reading pages are
saved there as PNG (the README's pictures: ``ARCHIVE_SCREENSHOTS=docs/img``).
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive import Archive, ArticleDraft

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
]
ROOT = Path(__file__).resolve().parent.parent

if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
    pytest.skip(
        "browser tests need chromium and chromedriver (Debian: apt-get install chromium "
        "chromium-driver)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

HOSTILE = ArticleDraft(
    title="Hostile <script>window.pwned=1;alert(1)</script> title \u202egnp.exe",
    body=(
        'Hostile body <img src=x onerror="window.pwned=2;alert(2)"> with '
        "<script>window.pwned=3;alert(3)</script> zebra text and "
        '<a id="evil" href="javascript:window.pwned=4">click</a>.\n\n'
        "A second zebra paragraph \u202eesrever\u202c <iframe src=javascript:alert(5)>."
    ),
    origin="hostile.txt",
    url="javascript:window.pwned=5;alert(5)",
    source='<b onmouseover="window.pwned=6">Evil</b>',
    tags=("<svg onload=window.pwned=7>",),
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, bbc_corpus: Path) -> Iterator[str]:
    """``archive serve`` on a free port over the sample article, 60 BBC business
    articles and a hostile one; its address."""
    from archive.ingest import Overrides, read_path

    home = tmp_path_factory.mktemp("served") / "home"
    files = sorted((bbc_corpus / "business").glob("*.txt"))[:60]
    with Archive.open(home) as archive:
        archive.ingest_paths(files, overrides=Overrides(source="BBC News", tags=("business",)))
        archive.ingest(
            read_path(
                ROOT / "examples" / "000_4fc7972ffbe2aa8d.txt",
                Overrides(source="Euronews", published="2025-03-13", tags=("nato", "ukraine")),
            )
        )
        archive.add(HOSTILE)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "--home", str(home), "serve", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        address = None
        assert proc.stdout is not None
        for line in proc.stdout:
            found = re.search(r" at (http://127\.0\.0\.1:\d+/)$", line.strip())
            if found:
                address = found.group(1)
                break
        assert address, "archive serve printed no address"
        yield address.rstrip("/")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: webdriver.Chrome, name: str) -> None:
    folder = os.environ.get("ARCHIVE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def no_alert(driver: webdriver.Chrome) -> bool:
    try:
        _ = driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def test_search_marks_facets_paging_and_reading(served: str, browser: webdriver.Chrome) -> None:
    browser.get(served + "/")
    box = browser.find_element(By.NAME, "q")
    box.send_keys("year growth")
    box.submit()
    heading = browser.find_element(By.ID, "heading").text
    total = re.match(r"(\d+) articles match 'year growth' \(showing 1–10\)", heading)
    assert total and int(total.group(1)) > 10, heading
    marked = [m.text.lower() for m in browser.find_elements(By.CSS_SELECTOR, ".passage mark")]
    assert marked and set(marked) <= {"year", "years", "growth"}, marked
    screenshot(browser, "search")
    # the next page
    browser.find_element(By.CSS_SELECTOR, "a[rel=next]").click()
    assert "(showing 11–" in browser.find_element(By.ID, "heading").text
    assert "page=2" in browser.current_url
    # a facet narrows
    browser.find_element(By.CSS_SELECTOR, "a.facet[data-facet=tag]").click()
    assert "tag=business" in browser.current_url
    assert "Narrowed to:" in browser.find_element(By.CSS_SELECTOR, ".chips").text
    # open the first hit: its words marked in the whole text
    browser.find_element(By.CSS_SELECTOR, ".hit h2 a").click()
    assert "/article/" in browser.current_url
    body_marks = browser.find_elements(By.CSS_SELECTOR, ".body mark")
    assert len(body_marks) >= 2
    screenshot(browser, "reading")


def test_edit_a_tag_from_the_reading_page(served: str, browser: webdriver.Chrome) -> None:
    browser.get(served + "/article/1")
    tags = browser.find_element(By.NAME, "tags")
    tags.clear()
    tags.send_keys("business, energy")
    browser.find_element(By.CSS_SELECTOR, "#edit button[type=submit]").click()
    shown = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".fields .tag")]
    assert shown == ["business", "energy"]
    browser.get(served + "/?q=tag:energy")
    assert browser.find_element(By.ID, "heading").text.startswith("1 article matches")


def test_a_hostile_article_runs_nothing(served: str, browser: webdriver.Chrome) -> None:
    for path in ("/?q=zebra&tag=%3Csvg+onload%3Dwindow.pwned%3D7%3E", "/?q=zebra"):
        browser.get(served + path)
        assert no_alert(browser), path
        assert browser.execute_script("return window.pwned === undefined"), path
        assert browser.find_elements(By.ID, "evil") == [], path
    browser.find_element(By.CSS_SELECTOR, ".hit h2 a").click()
    assert no_alert(browser) and "/article/" in browser.current_url
    assert browser.find_elements(By.ID, "evil") == []
    page = browser.find_element(By.TAG_NAME, "h1").text
    assert "<script>window.pwned=1;alert(1)</script>" in page
    # the javascript: address is text, not a link; nothing on the page links to javascript:
    hrefs = [a.get_attribute("href") or "" for a in browser.find_elements(By.TAG_NAME, "a")]
    assert not [h for h in hrefs if h.lower().startswith("javascript:")]
    assert "not a web address: shown as text" in browser.page_source
    assert browser.find_elements(By.TAG_NAME, "iframe") == []
    assert browser.execute_script("return window.pwned === undefined")


class _OnePage(http.server.BaseHTTPRequestHandler):
    page = b""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, *args: object) -> None:
        pass


def test_save_a_url_from_a_local_test_server(
    served: str, browser: webdriver.Chrome, trafilatura_pages: Path
) -> None:
    _OnePage.page = (trafilatura_pages / "webpage.html").read_bytes()
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OnePage)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{site.server_address[1]}/features/a-saved-page/"
        browser.get(served + "/add")
        browser.find_element(By.NAME, "url").send_keys(url)
        browser.find_element(By.CSS_SELECTOR, "form[action='/add/url'] button").click()
        assert "1 added" in browser.find_element(By.TAG_NAME, "h1").text
        browser.find_element(By.CSS_SELECTOR, ".outcomes a").click()
        # the page names its canonical address, which the archive keeps as its URL
        from selenium.webdriver.support.ui import WebDriverWait

        # wait for the reading page (the click navigates away from the saved page)
        WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "a.original"))
        original = browser.find_element(By.CSS_SELECTOR, "a.original").get_attribute("href")
        assert original.startswith("https://fivethirtyeight.com/features/could-manchin")
        assert "Long story short," in browser.find_element(By.TAG_NAME, "body").text
    finally:
        site.shutdown()
