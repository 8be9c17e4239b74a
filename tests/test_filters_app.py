"""The filter bar in the app: the selection survives moving between pages and lives in the URL."""

from datetime import date

from attune.filters import Filters
from tests.conftest import app_test
from tests.test_overview import expected_numbers


def metric_values(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def sidebar_text(at) -> str:
    return " ".join(c.value for c in at.sidebar.caption)


def test_selection_persists_across_pages(demo_db, demo_exports):
    at = app_test()
    at.selectbox(key="flt_preset").set_value("4w").run()
    at.multiselect(key="flt_therapists").select("T03").run()
    chosen: Filters = at.session_state["filters"]
    assert chosen.therapist_ids == ("T03",) and chosen.days == 28

    at.switch_page("pages/glossary.py").run()  # a page the filters do not apply to: none drawn there
    assert not at.exception
    assert at.title[0].value == "Glossary"
    assert not [w for w in [*at.selectbox, *at.multiselect] if (w.key or "").startswith("flt_")]
    assert at.query_params["therapist"] in ("T03", ["T03"])  # a link copied here still opens the selection

    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert at.session_state["filters"] == chosen
    assert at.multiselect(key="flt_therapists").value == ["T03"]
    assert at.selectbox(key="flt_preset").value == "4w"
    assert at.query_params["therapist"] in ("T03", ["T03"])
    want = expected_numbers(demo_exports, chosen.start, chosen.end, ("T03",))
    assert metric_values(at)["Sessions held"] == f"{want['held']:,}"


def test_a_shared_link_opens_the_filtered_view(demo_db, demo_exports):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"period": "custom", "from": "2026-09-01", "to": "2026-10-31", "therapist": "T05",
                            "team": ""})
    at.run()
    assert not at.exception
    filters: Filters = at.session_state["filters"]
    assert (filters.start, filters.end, filters.therapist_ids) == (date(2026, 9, 1), date(2026, 10, 31), ("T05",))
    want = expected_numbers(demo_exports, date(2026, 9, 1), date(2026, 10, 31), ("T05",))
    everyone = expected_numbers(demo_exports, date(2026, 9, 1), date(2026, 10, 31))
    assert want["held"] < everyone["held"]
    assert metric_values(at)["Sessions held"] == f"{want['held']:,}"
    assert at.multiselect(key="flt_therapists").value == ["T05"]
    # the URL still describes the view after the run (the link can be copied again)
    assert at.query_params["from"] in ("2026-09-01", ["2026-09-01"])
    assert at.query_params["therapist"] in ("T05", ["T05"])
    assert not sidebar_text(at).count("⚠️")


def test_invalid_link_values_are_ignored_with_a_notice(demo_db, demo_exports):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"therapist": "T03,NOBODY", "from": "2026-13-40", "period": "fortnight"})
    at.run()
    assert not at.exception
    notices = sidebar_text(at)
    assert "NOBODY" in notices and "not valid" in notices and "fortnight" in notices
    filters: Filters = at.session_state["filters"]
    assert filters.therapist_ids == ("T03",) and filters.days == 84  # the valid part is kept; default period
    want = expected_numbers(demo_exports, filters.start, filters.end, ("T03",))
    assert metric_values(at)["Sessions held"] == f"{want['held']:,}"
    # the notice goes once the viewer changes a filter
    at.multiselect(key="flt_therapists").select("T04").run()
    assert "NOBODY" not in sidebar_text(at)


def test_a_link_on_an_empty_database_does_not_break(empty_db):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params.update({"therapist": "T01", "from": "2026-01-01", "to": "2025-01-01"})
    at.run()
    assert not at.exception
    assert "T01" in sidebar_text(at)
