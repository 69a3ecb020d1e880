"""Prefect flows and tasks, the CLI, and all I/O (HTTP, files, schedules)."""
