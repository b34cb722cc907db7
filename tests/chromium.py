"""A small driver for headless Chromium over the DevTools protocol on a pipe (standard library only).

    with Browser() as browser:
        page = browser.open("file:///tmp/report.html")
        page.evaluate("document.title")
        page.click("th[data-col='2']")
        png = page.screenshot()

Chromium runs with ``--remote-debugging-pipe``: it reads commands from file descriptor 3 and
writes replies and events to descriptor 4, each a JSON message ended by a NUL byte. The network
is off: the host resolver maps every name to nothing, a proxy that does not exist takes every
request, and the page's requests are recorded (`Page.requests`) so a test can check that none
left the file.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
         "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]


def chromium_path():
    """The Chromium executable, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class BrowserError(RuntimeError):
    """Chromium answered a command with an error, or did not answer in time."""


class Browser:
    """A headless Chromium process, driven over its DevTools pipe."""

    def __init__(self, width=1280, height=900, timeout=60.0):
        self.width, self.height, self.timeout = width, height, timeout
        self._profile = tempfile.mkdtemp(prefix="spacedsl-chromium-")
        to_child, self._write = os.pipe()      # our commands -> Chromium's fd 3
        self._read, from_child = os.pipe()     # Chromium's fd 4 -> us
        exe = chromium_path()
        if exe is None:
            raise BrowserError("chromium is not installed (apt-get install -y chromium)")

        def fds():  # in the child: the pipe ends become 3 and 4 (copied first: either may be 3 or 4)
            a, b = os.dup(to_child), os.dup(from_child)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self._proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height}",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=fds, close_fds=False, stdin=subprocess.DEVNULL,  # our other fds are close-on-exec
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child)
        os.close(from_child)
        self._id = 0
        self._replies, self._events = {}, []
        self._cv = threading.Condition()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    # -- the pipe ---------------------------------------------------------------
    def _pump(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._read, 1 << 20)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cv:
                    self._closed = True
                    self._cv.notify_all()
                return
            buf += chunk
            *messages, buf = buf.split(b"\0")
            with self._cv:
                for raw in messages:
                    msg = json.loads(raw)
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self._events.append(msg)
                self._cv.notify_all()

    _closed = False

    def send(self, method, params=None, session=None):
        """Send a command and wait for its reply's result."""
        self._id += 1
        number = self._id
        msg = {"id": number, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        os.write(self._write, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        with self._cv:
            while number not in self._replies:
                if self._closed or not self._cv.wait(timeout=max(deadline - time.monotonic(), 0)):
                    raise BrowserError(f"no reply to {method} (Chromium {'exited' if self._closed else 'timed out'})")
            reply = self._replies.pop(number)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method, session=None, timeout=None, since=0):
        """The first event named ``method`` (from index ``since`` of the events seen)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._cv:
            while True:
                for event in self._events[since:]:
                    if event["method"] == method and (session is None or event.get("sessionId") == session):
                        return event
                if self._closed or not self._cv.wait(timeout=max(deadline - time.monotonic(), 0)):
                    raise BrowserError(f"no {method} event")

    def events(self, session=None):
        with self._cv:
            return [e for e in self._events if session is None or e.get("sessionId") == session]

    # -- pages ------------------------------------------------------------------
    def open(self, url, timeout=None):
        """A new tab showing ``url``, once its load event fired; `Page.load_seconds` is how long
        that took from the navigation."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0, "downloadThroughput": -1,
                                                       "uploadThroughput": -1}, session=session)
        self.send("Emulation.setDeviceMetricsOverride", {"width": self.width, "height": self.height,
                                                         "deviceScaleFactor": 1, "mobile": False}, session=session)
        since = len(self._events)
        start = time.monotonic()
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session=session, timeout=timeout, since=since)
        page.load_seconds = time.monotonic() - start
        return page

    def close(self):
        if self._proc.poll() is None:
            try:
                self.send("Browser.close")
            except (BrowserError, OSError):
                pass
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        for fd in (self._write, self._read):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Page:
    """A tab: evaluate script, click like a mouse, take screenshots, list what happened."""

    load_seconds = None

    def __init__(self, browser, session):
        self.browser, self.session = browser, session

    def send(self, method, params=None):
        return self.browser.send(method, params, session=self.session)

    def evaluate(self, expression):
        """The value of a JavaScript expression (JSON-able), or BrowserError if it threw."""
        reply = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                               "awaitPromise": True})
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression}: {reply['exceptionDetails'].get('text')}"
                               f" {reply['exceptionDetails'].get('exception', {}).get('description', '')}")
        return reply["result"].get("value")

    def click(self, selector):
        """Scroll ``selector`` into view and click its middle with the mouse (pressed and released)."""
        box = self.evaluate(
            f"(function(){{var e=document.querySelector({json.dumps(selector)});if(!e)return null;"
            "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
            "return [r.left+r.width/2, r.top+r.height/2];})()")
        if box is None:
            raise BrowserError(f"nothing matches {selector!r}")
        x, y = box
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                   "clickCount": 0 if kind == "mouseMoved" else 1})

    def type_text(self, selector, text):
        """Focus ``selector`` and type ``text`` as key presses."""
        self.evaluate(f"document.querySelector({json.dumps(selector)}).focus()")
        self.send("Input.insertText", {"text": text})

    def screenshot(self, full_page=False):
        """PNG bytes of the viewport, or of the whole page."""
        params = {"format": "png"}
        if full_page:
            width, height = self.evaluate("[document.documentElement.scrollWidth,"
                                          " document.documentElement.scrollHeight]")
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
        return base64.b64decode(self.send("Page.captureScreenshot", params)["data"])

    def errors(self):
        """Console errors, uncaught exceptions and error log entries, as text."""
        out = []
        for event in self.browser.events(self.session):
            method, params = event["method"], event.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                out.append(params["entry"].get("text", ""))
        return out

    def requests(self):
        """The URL of every request the page made (its own file included)."""
        return [e["params"]["request"]["url"] for e in self.browser.events(self.session)
                if e["method"] == "Network.requestWillBeSent"]
