"""A minimal Streamlit client speaking the app's own websocket protocol (protobuf BackMsg / ForwardMsg).

It does what a browser tab does to the server, without the browser: opens a session, asks for a page
run (page and query string), and collects what the script sends until the run finishes. Cheap enough to
run twenty of them at once on two cores, so the server's behaviour is what gets measured.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field

import websockets
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}


@dataclass(frozen=True)
class NavPage:
    title: str
    url_pathname: str
    default: bool


@dataclass
class PageView:
    """What one page run showed."""

    page: str
    seconds: float = 0.0
    metrics: list[tuple[str, str, str]] = field(default_factory=list)  # label, value, delta
    markdown: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # st.error alerts
    elements: dict[str, int] = field(default_factory=dict)
    chart_specs: list[str] = field(default_factory=list)
    navigation: list[NavPage] = field(default_factory=list)
    query_string: str = ""
    reruns: int = 0  # runs the app restarted itself (st.rerun), e.g. when new data arrived mid-run

    @property
    def data_caption(self) -> str:
        return next((m for m in self.markdown if m.startswith("**Data:**")), "")

    def signature(self) -> tuple:
        """Everything on the page that depends on the data: equal signatures mean the same numbers."""
        charts = tuple(hashlib.sha256(s.encode()).hexdigest()[:16] for s in self.chart_specs)
        return (self.data_caption, tuple(self.metrics), charts)


class Session:
    """One browser-tab-like session on the server."""

    def __init__(self, base_url: str):
        self.url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.ws = None

    async def __aenter__(self) -> Session:
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None,
                                           open_timeout=60, ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.ws.close()

    async def view(self, page: str = "", query: str = "", timeout: float = 120) -> PageView:
        """Run `page` (its URL path; "" is the default page) with `query` and collect what it shows."""
        request = BackMsg()
        request.rerun_script.query_string = query
        request.rerun_script.page_name = page
        started = time.perf_counter()
        await self.ws.send(request.SerializeToString())
        result = PageView(page)
        while True:
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(self.ws.recv(), timeout))
            kind = message.WhichOneof("type")
            if kind == "new_session":
                result = PageView(page, reruns=result.reruns)  # a (re)run starts: forget the previous one
            elif kind == "delta":
                _collect(message.delta, result)
            elif kind == "navigation":
                result.navigation = [NavPage(p.page_name, p.url_pathname, p.is_default)
                                     for p in message.navigation.app_pages]
            elif kind == "page_info_changed":
                result.query_string = message.page_info_changed.query_string
            elif kind == "script_finished":
                if message.script_finished in FINISHED:
                    result.seconds = time.perf_counter() - started
                    return result
                if message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    result.reruns += 1
                else:
                    result.exceptions.append(f"script finished with status {message.script_finished}")
                    result.seconds = time.perf_counter() - started
                    return result


def _collect(delta, result: PageView) -> None:
    if delta.WhichOneof("type") != "new_element":
        return
    element = delta.new_element
    kind = element.WhichOneof("type")
    result.elements[kind] = result.elements.get(kind, 0) + 1
    if kind == "metric":
        result.metrics.append((element.metric.label, element.metric.body, element.metric.delta))
    elif kind == "markdown":
        result.markdown.append(element.markdown.body)
    elif kind == "exception":
        result.exceptions.append(f"{element.exception.type}: {element.exception.message}")
    elif kind == "alert" and element.alert.format == Alert.ERROR:
        result.errors.append(element.alert.body)
    elif kind == "plotly_chart":
        result.chart_specs.append(element.plotly_chart.spec)


async def pages(base_url: str) -> list[NavPage]:
    """The pages the running app registers (from its navigation message)."""
    async with Session(base_url) as session:
        view = await session.view()
    return view.navigation


def run(coroutine: Coroutine):
    """Run a coroutine to completion on a fresh event loop in its own thread.

    Playwright's sync API keeps an event loop running in the test thread while a browser is open, so
    `asyncio.run` cannot be called there; a thread of its own works whatever the caller is doing.
    """
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="stclient")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
