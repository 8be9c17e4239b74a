"""One client's flags come from running the rules for that client's therapists only: same flags as the clinic's."""

from datetime import date

import polars as pl

from attune import attention, db, settings


def test_client_flags_equal_the_clinic_flags_for_that_client(demo_db, demo_manifest):
    con = db.connect(demo_db)
    as_of, values = date(2026, 11, 20), settings.defaults()
    everyone = attention.flags(con, as_of, values)
    planted = [c["client_id"] for cases in demo_manifest.values() if isinstance(cases, list) for c in cases]
    sample = everyone["client_id"].unique().sort().head(15).to_list()
    checked = 0
    for client in dict.fromkeys(planted + sample + ["C999999"]):
        mine = attention.client_flags(con, client, as_of, values).sort("therapist_id", "flag_kind")
        want = everyone.filter(pl.col("client_id") == client).sort("therapist_id", "flag_kind")
        assert mine.select(sorted(mine.columns)).equals(want.select(sorted(want.columns))), client
        checked += not want.is_empty()
    assert checked >= 10
    assert attention.client_flags(con, planted[0], as_of, values, visible=()).is_empty()  # sees no therapist
    con.close()
