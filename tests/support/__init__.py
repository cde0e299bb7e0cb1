"""Test support code: real servers, files and API helpers."""

DEMO_PASSWORD = "demo-password"
