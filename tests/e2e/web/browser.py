"""Headless Debian Chromium driven by Selenium, and the dashboard served in a thread."""

from __future__ import annotations

import json
import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
import websocket
from fastapi import FastAPI
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from tests.kafkatools import poll_until

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "web"


def chromium(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    """A fresh headless browser (no profile kept), Vietnamese fonts from the system."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def follow(driver: webdriver.Chrome, element: WebElement, seconds: float = 60) -> None:
    """Click ``element`` (a link or a form's submit button) and wait until the page it leads to
    has replaced this one and finished loading, as a person waits before reading on.

    Without the wait the next lookup can read the page being left (a stale or missing element).
    """
    leaving = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def left(_: webdriver.Chrome) -> bool:
        try:
            leaving.is_enabled()
        except WebDriverException:  # stale, or mid-navigation "node does not belong to the
            return True  # document": either way the page being left is gone
        return False

    wait = WebDriverWait(driver, seconds, poll_frequency=0.1)
    wait.until(left)
    wait.until(lambda d: d.execute_script("return document.readyState") == "complete")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ServedApp:
    """``app`` served by uvicorn in a thread on ``localhost`` (a secure context for cookies)."""

    def __init__(self, app: FastAPI) -> None:
        self.port = free_port()
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, timeout_graceful_shutdown=2
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self) -> ServedApp:
        self.thread.start()
        poll_until(lambda: self.server.started, 30, "the dashboard listening")
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def screenshot(driver: webdriver.Chrome, name: str, show: str = "") -> Path:
    """Save the page as a test artefact (tests/artifacts/web, ignored by git), scrolled to the
    element with id ``show`` when given."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if show:
        driver.execute_script("document.getElementById(arguments[0]).scrollIntoView();", show)
    path = ARTIFACTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


class DevTools:
    """The browser's own DevTools connection, for the targets chromedriver does not drive: its
    network conditions reach the page only, while the service worker fetches on its own."""

    def __init__(self, driver: webdriver.Chrome) -> None:
        address = driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        with urllib.request.urlopen(f"http://{address}/json/version", timeout=10) as answer:
            endpoint = json.load(answer)["webSocketDebuggerUrl"]
        self.socket = websocket.create_connection(endpoint, timeout=30, suppress_origin=True)
        self.calls = 0
        self.sessions: dict[str, str] = {}  # target id -> session id

    def call(self, method: str, params: dict[str, Any], session: str = "") -> dict[str, Any]:
        self.calls += 1
        message: dict[str, Any] = {"id": self.calls, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self.socket.send(json.dumps(message))
        while True:  # events of attached targets come in between; the answer has our id
            answer: dict[str, Any] = json.loads(self.socket.recv())
            if answer.get("id") == self.calls:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result

    def targets(self, *kinds: str) -> list[str]:
        """Sessions on every target of these kinds (``page``, ``service_worker``)."""
        infos = self.call("Target.getTargets", {})["targetInfos"]
        for info in infos:
            if info["type"] in kinds and info["targetId"] not in self.sessions:
                attached = self.call(
                    "Target.attachToTarget", {"targetId": info["targetId"], "flatten": True}
                )
                self.sessions[info["targetId"]] = attached["sessionId"]
                self.call("Network.enable", {}, attached["sessionId"])
        return [self.sessions[i["targetId"]] for i in infos if i["type"] in kinds]

    def on_all(self, method: str, params: dict[str, Any], *kinds: str) -> int:
        sessions = self.targets(*kinds)
        for session in sessions:
            self.call(method, params, session)
        return len(sessions)

    def close(self) -> None:
        self.socket.close()  # detaching lifts every emulation it set


@contextmanager
def devtools(driver: webdriver.Chrome) -> Iterator[DevTools]:
    tools = DevTools(driver)
    try:
        yield tools
    finally:
        tools.close()


def network(offline: bool) -> dict[str, Any]:
    """``Network.emulateNetworkConditions`` parameters: cut, or as it really is."""
    return {"offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
