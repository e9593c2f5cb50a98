"""Fixtures of the serve tests: a real uvicorn server on 127.0.0.1:0 (in a thread of this process)
serving the test pipelines, and a headless Chromium. Helpers live in ``serve_support``."""

from __future__ import annotations

from typing import Iterator

import pytest

pytest.importorskip("starlette", reason="the serve extra is not installed: pip install 'podpac-exec[serve]'")

from podpac_exec.serve.app import create_app  # noqa: E402
from podpac_exec.serve.server import ServerThread  # noqa: E402
from serve_support import CHROMEDRIVER, CHROMIUM, pipelines, serve_config  # noqa: E402


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, object]]:
    """(base URL, the app's ServeContext) of a server of :func:`pipelines`."""
    app = create_app(pipelines(), serve_config())
    with ServerThread(app) as url:
        yield url, app.state.context


@pytest.fixture(scope="module")
def url(server: tuple[str, object]) -> str:
    return server[0]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.skip("the browser test needs /usr/bin/chromium and /usr/bin/chromedriver: "
                    "apt-get install chromium chromium-driver (Debian packages)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1100,720", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()  # stops chromedriver and the browser it started
