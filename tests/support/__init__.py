"""Helpers shared by the test packages: small factories, not one giant conftest."""
