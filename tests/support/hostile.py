"""A link crafted to hurt: markdown that fetches a URL, script, SQL, a formula and an over-long value."""

HOSTILE_LINK = {
    "period": "![x](http://attacker.invalid/pixel.png)",
    "therapist": "T01');DROP TABLE sessions;--,<img src=x onerror=alert(1)>",
    "from": "2026-99-99",
    "site": '=HYPERLINK("http://attacker.invalid")' + "A" * 5000,
    "team": "[click](javascript:alert(1))",
    "client": "![x](http://attacker.invalid/client.png)",  # pages may read their own parameters too
}
