"""Headless Debian Chromium driven by Selenium, and the dashboard served in a thread."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
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
    wait = WebDriverWait(driver, seconds, poll_frequency=0.1)
    wait.until(expected_conditions.staleness_of(leaving))
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
