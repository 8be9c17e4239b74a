"""The real app under a real browser: cold start, peak memory per page, and the bytes sent to the browser.

Starts `streamlit run app.py` on a free port against the benchmark database, opens each page (default
filters, then one therapist via the URL) in headless Chromium, and watches the server process's resident
memory with psutil. Every page load is a new browser session, so it reruns the page's script; the first
load of a page and filter is a cold one (nothing cached yet), later ones reuse the server's caches.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil

from bench.baselines import PeakRss

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def browser_available() -> str | None:
    """None when a headless Chromium can be driven here, else why not."""
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return "chromium is not installed (make browser installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


class PageWatcher:
    """Counts the bytes the server sends over the page's websocket and notices when a script run ends."""

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._message = ForwardMsg
        self.bytes = 0
        self.finished = 0
        self.exceptions = 0
        page.on("websocket", self._attach)

    def _attach(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload: bytes | str) -> None:
        data = payload.encode() if isinstance(payload, str) else payload
        self.bytes += len(data)
        msg = self._message()
        try:
            msg.ParseFromString(data)
        except Exception:  # not a ForwardMsg: ignore its content, its bytes are counted
            return
        kind = msg.WhichOneof("type")
        if kind == "script_finished":
            self.finished += 1
        elif kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
            self.exceptions += 1


def _wait_finished(page, watcher: PageWatcher, runs_before: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while watcher.finished <= runs_before:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the page did not finish within {timeout:.0f} s")
        page.wait_for_timeout(10)


def _wait_healthy(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError("streamlit did not become healthy")


def measure_served(database: Path, pages: list[dict[str, Any]], therapist: str, env: dict[str, str],
                   timeout: float = 600) -> dict[str, Any]:
    """Cold start, then each page under default and one-therapist filters: time seen by the browser,
    websocket bytes and the server's peak RSS."""
    reason = browser_available()
    if reason:
        return {"skipped": reason}
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = dict(env, ATTUNE_DB=str(database))
    result: dict[str, Any] = {"port": port, "duckdb_threads": env.get("ATTUNE_THREADS", "2"),
                              "duckdb_memory_limit": env.get("ATTUNE_MEMORY", "1GB"), "pages": {}}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # A first start writes the bytecode caches a deployed app has; the second one is measured.
            proc, first = _start(browser, env, port, timeout)
            _stop(proc)
            result["first_start_s"] = first["to_first_page_s"]
            proc, result["cold_start"] = _start(browser, env, port, timeout)
            try:
                _serve_pages(browser, proc, port, pages, therapist, timeout, result)
            finally:
                _stop(proc)
        finally:
            browser.close()
    return result


def _start(browser, env: dict[str, str], port: int, timeout: float) -> tuple[subprocess.Popen, dict[str, float]]:
    """Start the server and open its default page: seconds to healthy and to the first page rendered."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "localhost", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with PeakRss(proc.pid) as rss:
            _wait_healthy(port, proc, timeout)
            healthy = time.perf_counter()
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            watcher = PageWatcher(tab)
            tab.goto(f"http://localhost:{port}/")
            _wait_finished(tab, watcher, 0, timeout)
            rendered = time.perf_counter()
            cpu = psutil.Process(proc.pid).cpu_times()
            tab.close()
    except Exception:
        _stop(proc)
        raise
    return proc, {"to_healthy_s": healthy - started, "to_first_page_s": rendered - started,
                  "server_cpu_s": cpu.user + cpu.system, "peak_rss_bytes": rss.overall}


def _serve_pages(browser, proc: subprocess.Popen, port: int, pages: list[dict[str, Any]], therapist: str,
                 timeout: float, result: dict[str, Any]) -> None:
    from playwright.sync_api import Error as PlaywrightError

    with PeakRss(proc.pid) as rss:
        for page in pages:
            entry = result["pages"][page["path"]] = {"title": page["title"], "filters": {}}
            for label, query in (("default", ""), ("one_therapist", f"?therapist={therapist}")):
                rss.reset()
                tab = browser.new_page(viewport={"width": 1400, "height": 1000})
                watcher = PageWatcher(tab)
                began = time.perf_counter()
                try:
                    tab.goto(f"http://localhost:{port}/{page['url_path']}{query}")
                    _wait_finished(tab, watcher, 0, timeout)
                except (TimeoutError, PlaywrightError) as exc:
                    entry["filters"][label] = {"error": f"{type(exc).__name__}: {exc}"[:300],
                                               "waited_s": time.perf_counter() - began,
                                               "websocket_bytes": watcher.bytes, "peak_rss_bytes": rss.peak}
                    tab.close()
                    continue
                took = time.perf_counter() - began
                tab.wait_for_timeout(300)  # late messages (e.g. query-string updates) still count
                entry["filters"][label] = {"browser_load_s": took, "websocket_bytes": watcher.bytes,
                                           "exceptions": watcher.exceptions, "peak_rss_bytes": rss.peak}
                tab.close()
        result["peak_rss_bytes"] = max(rss.overall, result["cold_start"]["peak_rss_bytes"])


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
