"""Pytest configuration: the shared fixtures live in tests/support and are loaded as plugins."""

pytest_plugins = ["tests.support.fixtures", "tests.support.services"]
