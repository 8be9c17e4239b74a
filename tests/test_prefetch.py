"""attune.ui.cache.prefetch: a load started early runs on a worker thread, once; the page's own load of the same
function and arguments gets that result (waiting for it when needed); a failing prefetch is not kept, so the
page's load runs it again and the error shows on the page."""

import threading
import time

from streamlit.testing.v1 import AppTest

from attune.ui import cache

CALLS: list[tuple[str, str]] = []


def slow_sessions(cur, label: str) -> int:
    """A load that takes a while: the page asks for it while the prefetch is still computing it."""
    CALLS.append((label, threading.current_thread().name))
    time.sleep(0.3)
    return cur.execute("SELECT count(*) FROM sessions").fetchall()[0][0]


def broken(cur, label: str) -> int:
    CALLS.append((label, threading.current_thread().name))
    raise ValueError(f"no such table for {label}")


def prefetch_started(wait: float = 10.0) -> None:
    """Wait for the worker to have picked the prefetch up (a fixed sleep loses that race on a loaded machine)."""
    deadline = time.monotonic() + wait
    while not CALLS and time.monotonic() < deadline:
        time.sleep(0.01)


def _page() -> None:
    import streamlit as st
    from test_prefetch import prefetch_started, slow_sessions

    from attune.ui import cache

    cache.prefetch((slow_sessions, "early"))
    prefetch_started()  # as while the page draws: a load made at once may start before the worker does
    st.write(f"sessions {cache.load(slow_sessions, 'early')}")


def _failing_page() -> None:
    import time

    import streamlit as st
    from test_prefetch import broken, prefetch_started

    from attune.ui import cache

    cache.prefetch((broken, "failing"))
    prefetch_started()
    time.sleep(0.2)  # the prefetch has failed by now
    st.write(f"rows {cache.load(broken, 'failing')}")


def test_a_prefetched_load_runs_once_on_a_worker_and_the_page_gets_its_result(demo_db):
    cache.clear()
    CALLS.clear()
    at = AppTest.from_function(_page, default_timeout=30)
    at.run()
    with cache.cursor() as cur:
        sessions = cur.execute("SELECT count(*) FROM sessions").fetchall()[0][0]
    assert not at.exception and [m.value for m in at.markdown] == [f"sessions {sessions}"]
    assert len(CALLS) == 1 and CALLS[0][1].startswith("attune-prefetch")  # computed once, in the background
    at.run()  # warm: cached, nothing runs again
    assert len(CALLS) == 1 and [m.value for m in at.markdown] == [f"sessions {sessions}"]


def test_a_failed_prefetch_is_run_again_by_the_page_which_shows_the_error(demo_db):
    cache.clear()
    CALLS.clear()
    at = AppTest.from_function(_failing_page, default_timeout=30)
    at.run()
    assert [label for label, _ in CALLS] == ["failing", "failing"]
    assert CALLS[0][1].startswith("attune-prefetch") and not CALLS[1][1].startswith("attune-prefetch")
    assert at.exception and "no such table for failing" in at.exception[0].message
