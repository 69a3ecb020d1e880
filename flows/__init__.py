"""Prefect flows and tasks, the CLI, and all I/O (HTTP, files, schedules).

Importing the package switches Prefect's analytics and telemetry off before any flow module
imports Prefect (see `prefect_setup`).
"""

from diplowatch.flows import prefect_setup as _prefect_setup  # noqa: F401  # sets the environment only
