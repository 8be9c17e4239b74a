"""Test support shared by the browser and reliability suites: a served app, a protocol client, big files."""
