"""Serve app.py exactly as `streamlit run` does, plus an importer thread in the same process.

This is how an analyst's upload on the Data page behaves: the import runs inside the dashboard's
process, through the dashboard's own DuckDB connection, while other sessions keep reading. A test asks
for an import by writing the CSV's path to $ATTUNE_TEST_CONTROL/import.request; the result (the
import report and when it started and committed) appears as import.done.
Usage: python serve_with_import.py [streamlit run options]
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path


def _importer(control: Path) -> None:
    request = control / "import.request"
    while not request.exists():
        time.sleep(0.05)
    from attune import db, ingest
    from attune.ui import cache

    con = cache.connection(str(db.db_path()))  # the connection the app's pages use
    started = time.time()
    try:
        report = ingest.import_file(con, Path(request.read_text().strip()), imported_by="soak-test")
        outcome = {"status": report.status, "inserted": report.inserted, "summary": report.summary}
    except Exception as exc:  # reported to the test, which fails on it
        outcome = {"status": "error", "error": repr(exc)}
    outcome |= {"started": started, "finished": time.time()}
    partial = control / "import.partial"
    partial.write_text(json.dumps(outcome))
    os.replace(partial, control / "import.done")


def main() -> None:
    threading.Thread(target=_importer, args=(Path(os.environ["ATTUNE_TEST_CONTROL"]),), daemon=True).start()
    from streamlit.web import cli

    sys.argv = ["streamlit", "run", "app.py", *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
