"""Profile one page's cold and warm script runs with pyinstrument (where does the time go?).

    uv run python -m bench.profile --db /path/to/db.duckdb [--page pages/overview.py] [--therapist T01]

The profiler is started inside the script thread (around the page's `run`), so the tree shows the page's
own code, its queries and chart building, not AppTest's waiting.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pyinstrument import Profiler

from bench.pages import APP, ROOT, _clear_caches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--page", default="pages/overview.py")
    parser.add_argument("--therapist", default=None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--html", type=Path, default=None, help="also write an HTML report here")
    args = parser.parse_args(argv)
    os.environ["ATTUNE_DB"] = str(args.db)
    os.chdir(ROOT)

    from streamlit.navigation.page import StreamlitPage
    from streamlit.testing.v1 import AppTest

    profiler = Profiler(interval=0.001)
    active = {"on": False}
    original = StreamlitPage.run

    def profiled(self: StreamlitPage) -> None:
        if not active["on"]:
            return original(self)
        profiler.start()
        try:
            return original(self)
        finally:
            profiler.stop()

    StreamlitPage.run = profiled  # type: ignore[method-assign]
    at = AppTest.from_file(str(APP), default_timeout=600)
    if args.therapist:
        at.query_params["therapist"] = args.therapist
    at.run()
    at.switch_page(args.page)
    at.run()
    for label, clear in (("cold", True), ("warm", False)):
        profiler.reset()
        active["on"] = True
        for _ in range(args.runs):
            if clear:
                _clear_caches()
            at.run()
        active["on"] = False
        print(f"===== {label}: {args.runs} runs of {args.page} =====")
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        if args.html:
            args.html.with_name(f"{args.html.stem}_{label}.html").write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    sys.exit(main())
