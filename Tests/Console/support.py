"""What the console tests share: the API client that sets up their data, the browser they drive, and the checks
every test makes (no JavaScript error in the browser's log, screenshots at both widths).

Configured by compose/local/console through the environment: CONSOLE_URL (the proxy), CONSOLE_INGEST_KEY (the
quoting core's ingestion key), CONSOLE_SCREENSHOTS and CONSOLE_DOWNLOADS (folders).
"""

import base64
import json
import os
import re
import shutil
import time
import unittest
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE_URL = os.environ.get("CONSOLE_URL", "http://127.0.0.1:8080").rstrip("/")
INGEST_KEY = os.environ.get("CONSOLE_INGEST_KEY", "dev-ingest-key")
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS", "screenshots")
DOWNLOADS = os.environ.get("CONSOLE_DOWNLOADS", "downloads")
WAIT = 15
WIDE = (1366, 900)
NARROW = (375, 812)


def unique(prefix):
    """A name no other run uses: the tests share the system (and its users service) with everyone else."""
    return f"{prefix}-{time.time_ns()}"


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def eventually(check, message, timeout=20, interval=1.0):
    """Polls `check()` until it returns something true (the services read events asynchronously). Once a
    second: every call counts against the user's `default` rate limit (50 a minute), which the browser needs too."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        time.sleep(interval)


class LoginBudget:
    """The proxy's `login` policy allows 10 sign-ins and registrations a minute per address, and every request
    of this suite comes from 127.0.0.1. The limiter is GCRA (one request every 6 s, a burst of 10): this
    models it from the `RateLimit` headers the suite's own API calls see and from the sign-ins the browser
    makes, and waits before a sign-in that would be refused rather than fail on it."""

    INTERVAL = 6.0
    TOLERANCE = 60.0

    def __init__(self):
        self.theoretical_arrival = 0.0

    def observe(self, headers):
        """Takes the server's word for the state of the quota (`RateLimit: "login";r=9;t=6`)."""
        match = re.search(r'"login";r=(\d+);t=(\d+)', headers.get("RateLimit", ""))
        if match:
            self.theoretical_arrival = time.monotonic() + int(match.group(2))

    def take(self):
        """Waits until one more login-policy request is allowed, and counts it."""
        now = time.monotonic()
        wait = self.theoretical_arrival - (now + self.TOLERANCE - self.INTERVAL) + 0.5
        if wait > 0:
            time.sleep(wait)
            now = time.monotonic()
        self.theoretical_arrival = max(self.theoretical_arrival, now) + self.INTERVAL


LOGIN_BUDGET = LoginBudget()


class ApiError(Exception):
    def __init__(self, status, body):
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def api(method, path, body=None, token=None, headers=None, login_policy=False, wait_out_429=True):
    """One API call through the proxy; the parsed JSON answer (None for 204), else ApiError. A 429 is waited
    out and retried (unless the test wants to see it): the suite shares the rate limits with whoever else uses
    the system. `login_policy`: the route counts against the login limit (LOGIN_BUDGET)."""
    for _ in range(5):
        if login_policy:
            LOGIN_BUDGET.take()
        request = urllib.request.Request(BASE_URL + path, method=method,
                                         data=None if body is None else json.dumps(body).encode())
        request.add_header("Content-Type", "application/json")
        request.add_header("Accept", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                if login_policy:
                    LOGIN_BUDGET.observe(response.headers)
                data = response.read()
                return json.loads(data) if data else None
        except urllib.error.HTTPError as error:
            data = error.read().decode()
            if error.code == 429 and wait_out_429:
                time.sleep(int(error.headers.get("Retry-After", "5")) + 0.5)
                continue
            raise ApiError(error.code, data) from None
    raise ApiError(429, f"{method} {path} still rate limited")


class Organization:
    """A new organization registered through the API, with its admin's credentials and token."""

    def __init__(self, prefix="console"):
        self.suffix = unique(prefix)
        self.password = f"Pass-{self.suffix}"
        self.admin_email = f"{self.suffix}-admin@example.com"
        self.admin_name = "Анна Тестова"
        answer = api("POST", "/api/auth/register", {
            "organization_name": f"ООО «Тест {self.suffix[-6:]}»",
            "full_name": self.admin_name,
            "email": self.admin_email,
            "password": self.password,
        }, login_policy=True)
        self.token = answer["access_token"]
        self.id = answer["organization"]["id"]
        self.admin_id = answer["user"]["id"]
        self.name = answer["organization"]["name"]

    def create_user(self, role="manager", name="Игорь Тестов"):
        """A user of the organization (created by its admin); returns (email, password, id)."""
        email = f"{self.suffix}-{role}-{uuid.uuid4().hex[:6]}@example.com"
        user = api("POST", "/api/users", {"email": email, "full_name": name, "role": role, "password": self.password},
                   token=self.token)
        return email, self.password, user["id"]

    def get(self, path):
        """GET as the organization's admin."""
        return api("GET", path, token=self.token)

    def ingest(self, envelopes):
        """Publishes events as the quoting core would (its ingestion key)."""
        return api("POST", "/api/activity/events", envelopes, headers={"X-Api-Key": INGEST_KEY})

    def envelope(self, event_type, resource_type, resource_id, action, payload, occurred_at=None):
        return {
            "id": str(uuid.uuid4()),
            "type": event_type,
            "version": 1,
            "occurred_at": occurred_at or now_iso(),
            "source": {"service": "quoting-core", "instance": "console-tests"},
            "organization_id": self.id,
            "actor": {"user_id": self.admin_id, "email": self.admin_email, "user_agent": "console-tests"},
            "resource": {"type": resource_type, "id": resource_id},
            "action": action,
            "payload": payload,
        }


def make_browser():
    """Headless Chromium at the wide size, logging everything the page logs, saving downloads to DOWNLOADS."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--lang=ru-RU", f"--window-size={WIDE[0]},{WIDE[1]}"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": os.path.abspath(DOWNLOADS),
        "download.prompt_for_download": False,
        "intl.accept_languages": "ru-RU,ru",
    })
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                           {"behavior": "allow", "downloadPath": os.path.abspath(DOWNLOADS)})
    return driver


class ConsoleTest(unittest.TestCase):
    """A test with its own browser. After each test, and wherever a test calls check_console, the browser's
    log must hold no SEVERE entry except those the test expects (the failed requests it provokes)."""

    def setUp(self):
        os.makedirs(DOWNLOADS, exist_ok=True)
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.browser = make_browser()
        self.expected_errors = []
        self.addCleanup(self.browser.quit)

    def tearDown(self):
        self.check_console()

    # Console log

    def expect_console_error(self, path, status):
        """A failed request the test provokes on purpose: Chromium logs every 4xx and 5xx answer to a fetch as
        a SEVERE "Failed to load resource" entry, which is then no error of the console."""
        self.expected_errors.append(re.compile(re.escape(BASE_URL + path) + r".* status of " + str(status) + r"\b"))

    def expect_console_message(self, pattern):
        """Any other SEVERE entry the test causes on purpose (a request failing while the network is off)."""
        self.expected_errors.append(re.compile(pattern))

    def check_console(self):
        entries = self.browser.get_log("browser")
        severe = [entry["message"] for entry in entries if entry["level"] == "SEVERE"
                  and not any(pattern.search(entry["message"]) for pattern in self.expected_errors)]
        self.assertEqual(severe, [], "the browser logged errors")

    # Pages

    def open(self, route=""):
        """Loads the console at a route (`profile`, `admin/users`); the page loads afresh."""
        self.browser.get(f"{BASE_URL}/#/{route}")

    def go(self, route):
        """Changes the route within the loaded page, as a link does."""
        self.browser.execute_script("location.hash = arguments[0]", f"#/{route}")

    def wait_loaded(self):
        """Waits until the view has its title and nothing in it is still loading."""
        self.wait(lambda driver: driver.execute_script(
            "return !!document.querySelector('main h1') && !document.querySelector('main .loading, main [aria-busy]')"),
            message="the page loaded")

    def wait(self, condition, timeout=WAIT, message=""):
        """WebDriverWait; when it times out, a screenshot `failed-<test>.png` and the page's error messages say why."""
        try:
            return WebDriverWait(self.browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
                condition, message)
        except TimeoutException:
            self.screenshot(f"failed-{self.id().split('.')[-1]}")
            errors = [element.text for element in self.find_all("error-message")]
            raise AssertionError(f"timed out waiting for {message}; errors on the page: {errors}") from None

    def find(self, testid, within=None):
        """The visible element with this data-testid, waiting for it."""
        selector = f'[data-testid="{testid}"]'
        if within is not None:
            return self.wait(lambda _: within.find_element(By.CSS_SELECTOR, selector), message=testid)
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, selector)), message=f"[{testid}] visible")

    def present(self, testid):
        """The element with this data-testid once it is in the page, shown or not (folded navigation)."""
        return self.wait(EC.presence_of_element_located((By.CSS_SELECTOR, f'[data-testid="{testid}"]')),
                         message=f"[{testid}] present")

    def find_all(self, testid, within=None):
        return (within or self.browser).find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def wait_text(self, testid, pattern, within=None):
        """Waits until the element's text matches the regular expression; returns the text."""
        def matching(_):
            elements = self.find_all(testid, within)
            for element in elements:
                if element.is_displayed() and re.search(pattern, element.text):
                    return element.text
            return False
        return self.wait(matching, message=f"[{testid}] matching {pattern!r}")

    def type_into(self, testid, text, within=None):
        element = self.find(testid, within)
        element.clear()
        element.send_keys(text)
        return element

    def choose(self, testid, value, within=None):
        Select(self.find(testid, within)).select_by_value(value)

    def click(self, testid, within=None):
        element = self.find(testid, within)
        self.wait(lambda _: element.is_enabled(), message=f"[{testid}] enabled")
        element.click()

    # Sessions

    def sign_in(self, email, password, expect_home=True):
        """Signs in through the sign-in page, as a person does (and counts against the login rate limit)."""
        self.open("login")
        self.type_into("login-email", email)
        self.type_into("login-password", password)
        LOGIN_BUDGET.take()
        self.click("login-submit")
        if expect_home:
            self.present("logout")

    def sign_out(self):
        self.click("logout")
        self.find("login-email")

    # Screenshots

    def at_size(self, size):
        """Emulates a viewport of exactly this size (a window size would include the browser's own frame)."""
        width, height = size
        self.browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})

    def screenshot(self, name):
        """The whole page (not only the viewport) as `<name>.png` in the screenshots folder."""
        metrics = self.browser.execute_cdp_cmd("Page.getLayoutMetrics", {})
        content = metrics["cssContentSize"]
        shot = self.browser.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": content["width"], "height": content["height"], "scale": 1}})
        with open(os.path.join(SCREENSHOTS, f"{name}.png"), "wb") as file:
            file.write(base64.b64decode(shot["data"]))
