"""Prefect flows and tasks, the CLI, and all I/O (HTTP, files, schedules).

Importing the package changes nothing outside it: Prefect's settings are applied by the CLI
around the commands that run flows (see `prefect_runtime`), and by `prefect.toml` for the bare
`prefect` command run from the repository.
"""
