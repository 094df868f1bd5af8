"""The built book, opened in a real browser (Debian's chromium via Playwright).

What a reader would notice is checked on every page listed in ``_toc.yml``:
no console error and no uncaught script error, no request that leaves the
local server (the book must work offline), no local asset that fails to
load, every image decoded, and equations typeset by the vendored MathJax
without TeX errors. The search page must find "forget gate", the colour
mode switch must change the theme, and a few screenshots are written to
``test-artifacts/`` (gitignored) for a human to look at.

Needs ``_build/html`` (``make book``). Without it the tests are skipped,
unless ``COURSE_REQUIRE_BROWSER=1`` (CI), in which case they fail.
Chromium is Debian's ``/usr/bin/chromium``; never ``playwright install``.
"""

from __future__ import annotations

import functools
import http.server
import os
import pathlib
import re
import threading
import urllib.parse

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.book]

ROOT = pathlib.Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
REQUIRE = os.environ.get("COURSE_REQUIRE_BROWSER") == "1"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Schemes that never touch the network.
LOCAL_SCHEMES = {"data", "blob", "about"}
TIMEOUT_MS = 20_000
SCREENSHOTS = {"book/intro", "book/03_forget_gate", "book/05_cell_state", "book/10_attention"}


def _toc_docnames() -> list[str]:
    """Every document named in _toc.yml, root first, in reading order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf8"))
    names = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                names.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)

    walk(toc)
    return [str(pathlib.PurePosixPath(n).with_suffix("")) for n in names]


DOCNAMES = _toc_docnames()


def _require_build() -> None:
    if (HTML / "index.html").is_file():
        return
    message = f"{HTML} is missing: build the book first (make book)"
    if REQUIRE:
        pytest.fail(message + " [COURSE_REQUIRE_BROWSER=1]")
    pytest.skip(message)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def server():
    """Serve _build/html on a free localhost port in a background thread."""
    _require_build()
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser():
    _require_build()
    if not pathlib.Path(CHROMIUM).exists():
        message = f"{CHROMIUM} missing (apt-get install chromium)"
        if REQUIRE:
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


class PageRecorder:
    """A browser context whose every request, error and failure is recorded."""

    def __init__(self, browser, base_url: str):
        self.base = base_url
        self.external: list[str] = []
        self.failed: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or (
            parts.scheme in {"http", "https"} and parts.hostname in LOCAL_HOSTS
        ):
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def new_page(self):
        page = self.context.new_page()
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(f"{page.url}: {exc}"))
        page.on("requestfailed", lambda req: self._on_failed(req))
        page.on("response", self._on_response)
        return page

    def _on_console(self, msg):
        if msg.type == "error":
            self.console_errors.append(f"{msg.location.get('url', '?')}: {msg.text}")

    def _on_failed(self, request):
        if urllib.parse.urlsplit(request.url).hostname in LOCAL_HOSTS:
            self.failed.append(f"{request.url}: {request.failure}")

    def _on_response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def close(self):
        self.context.close()


def _wait_for_mathjax(page) -> dict:
    """Wait until MathJax (if the page loads it) has typeset; count its output."""
    return page.evaluate(
        """async () => {
            const hasMath = document.querySelector('.math, span.math, div.math') !== null;
            if (window.MathJax && window.MathJax.startup && window.MathJax.startup.promise) {
                await window.MathJax.startup.promise;
            }
            return {
                hasMath: hasMath,
                loaded: !!(window.MathJax && window.MathJax.version),
                version: window.MathJax && window.MathJax.version || null,
                containers: document.querySelectorAll('mjx-container').length,
                errors: document.querySelectorAll('mjx-merror').length,
            };
        }"""
    )


def _broken_images(page) -> list[str]:
    return page.evaluate(
        """async () => {
            const imgs = Array.from(document.images);
            imgs.forEach(img => { img.loading = 'eager'; });
            await Promise.all(imgs.map(img => img.complete ? null :
                new Promise(done => { img.addEventListener('load', done);
                                      img.addEventListener('error', done); })));
            return imgs.filter(img => !(img.complete && img.naturalWidth > 0))
                       .map(img => img.getAttribute('src'));
        }"""
    )


def _url(base: str, docname: str) -> str:
    return f"{base}/{docname}.html"


EXTERNAL_ASSET_RE = re.compile(
    r"<(?:script|img|iframe|source|embed)\b[^>]*\bsrc=[\"'](?:https?:)?//"
    r"|<link\b[^>]*\bhref=[\"'](?:https?:)?//"
    r"|@import\s+(?:url\()?[\"']?(?:https?:)?//"
    r"|url\(\s*[\"']?(?:https?:)?//",
    re.I,
)


def test_no_external_assets_in_the_html():
    """No page or stylesheet names a script, style, font or frame on another host.

    Links to papers (<a href="https://doi.org/...">) are fine; assets are not.
    """
    _require_build()
    offenders = []
    files = sorted(HTML.rglob("*.html")) + sorted((HTML / "_static").rglob("*.css"))
    for path in files:
        text = path.read_text(encoding="utf8", errors="replace")
        for match in EXTERNAL_ASSET_RE.finditer(text):
            snippet = text[match.start(): match.end() + 60].replace("\n", " ")
            offenders.append(f"{path.relative_to(HTML)}: {snippet}")
    assert not offenders, "external assets:\n" + "\n".join(offenders[:30])


def test_every_toc_page_loads_cleanly(browser, server):
    """Each page: no console or page error, nothing external, images and math render."""
    ARTIFACTS.mkdir(exist_ok=True)
    rec = PageRecorder(browser, server)
    problems: list[str] = []
    pages_with_math = 0
    try:
        # index.html only redirects to the root document; it must do so cleanly.
        page = rec.new_page()
        page.goto(f"{server}/index.html", wait_until="load")
        page.wait_for_url(f"**/{DOCNAMES[0]}.html")
        page.close()
        for docname in DOCNAMES:
            if not (HTML / f"{docname}.html").is_file():
                problems.append(f"{docname}.html was not built")
                continue
            page = rec.new_page()
            response = page.goto(_url(server, docname), wait_until="load")
            if response is None or response.status != 200:
                problems.append(f"{docname}: HTTP {response and response.status}")
            math = _wait_for_mathjax(page)
            if math["hasMath"]:
                pages_with_math += 1
                if not math["loaded"] or not str(math["version"]).startswith("3."):
                    problems.append(f"{docname}: MathJax 3 did not load ({math})")
                elif math["containers"] == 0:
                    problems.append(f"{docname}: math on the page but no mjx-container")
                if math["errors"]:
                    problems.append(f"{docname}: {math['errors']} TeX error(s) (mjx-merror)")
            broken = _broken_images(page)
            if broken:
                problems.append(f"{docname}: images that did not load: {broken}")
            if docname in SCREENSHOTS:
                page.screenshot(
                    path=str(ARTIFACTS / f"{docname.replace('/', '_')}.png"), full_page=False
                )
            page.close()
    finally:
        rec.close()
    problems += [f"console error: {e}" for e in rec.console_errors]
    problems += [f"page error: {e}" for e in rec.page_errors]
    problems += [f"external request (blocked): {u}" for u in rec.external]
    problems += [f"failed local request: {u}" for u in rec.failed]
    assert not problems, "the built book has problems:\n" + "\n".join(problems)
    assert pages_with_math > 0, "no page in the TOC has math; the MathJax check ran on nothing"


def test_equations_render_with_local_fonts(browser, server):
    """A page with display math gets MathJax CHTML output and its fonts from _static."""
    rec = PageRecorder(browser, server)
    font_urls: list[str] = []
    try:
        page = rec.new_page()
        page.on("request", lambda r: font_urls.append(r.url) if ".woff" in r.url else None)
        target = next(
            (d for d in DOCNAMES
             if 'class="math' in (HTML / f"{d}.html").read_text(encoding="utf8", errors="ignore")),
            None,
        )
        assert target is not None, "no built page contains math"
        page.goto(_url(server, target), wait_until="load")
        math = _wait_for_mathjax(page)
        page.wait_for_load_state("networkidle")
    finally:
        rec.close()
    assert math["containers"] > 0, f"{target}: MathJax produced no output: {math}"
    assert font_urls, f"{target}: MathJax requested no web font"
    assert all(urllib.parse.urlsplit(u).hostname in LOCAL_HOSTS for u in font_urls), font_urls
    assert not rec.external, f"external requests: {rec.external}"
    assert not rec.failed, f"failed requests: {rec.failed}"


def test_search_finds_forget_gate(browser, server):
    """Sphinx's search page lists at least one result for "forget gate"."""
    rec = PageRecorder(browser, server)
    try:
        page = rec.new_page()
        page.goto(f"{server}/search.html?q=forget+gate", wait_until="load")
        page.wait_for_selector("#search-results ul.search li", timeout=TIMEOUT_MS)
        hits = page.locator("#search-results ul.search li").count()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "search_forget_gate.png"))
    finally:
        rec.close()
    assert hits >= 1
    assert not rec.console_errors, rec.console_errors
    assert not rec.page_errors, rec.page_errors
    assert not rec.external, rec.external


def test_dark_mode_toggle(browser, server):
    """Clicking the theme switch changes html[data-mode] and html[data-theme]."""
    rec = PageRecorder(browser, server)
    try:
        page = rec.new_page()
        page.goto(_url(server, DOCNAMES[min(3, len(DOCNAMES) - 1)]), wait_until="load")
        _wait_for_mathjax(page)

        def state():
            return page.evaluate(
                "() => [document.documentElement.dataset.mode,"
                " document.documentElement.dataset.theme]"
            )

        mode0, theme0 = state()
        assert mode0 in {"light", "dark", "auto"}, f"invalid starting mode {mode0!r}"
        button = page.locator("button.theme-switch-button:visible").first
        # The switch cycles light -> dark -> auto; stop on the dark theme.
        seen = [(mode0, theme0)]
        for _ in range(3):
            button.click()
            seen.append(state())
            if seen[-1][1] == "dark":
                break
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dark_mode.png"))
    finally:
        rec.close()
    assert seen[1][0] != mode0, f"data-mode did not change on click: {seen}"
    assert {theme for _, theme in seen} >= {"light", "dark"}, f"(mode, theme) seen: {seen}"
    assert not rec.console_errors, rec.console_errors
    assert not rec.page_errors, rec.page_errors
