"""diplowatch: a scheduled monitor of French news for US–Russia–Ukraine diplomacy.

Installed, the project is this one package: `diplowatch.flows` (the Prefect flows, their tasks
and the run engine), `diplowatch.extractors` (pure functions), `diplowatch.storage` (DuckDB) and
`diplowatch.config` (the shipped TOML). The repository keeps those four as top-level folders;
`pyproject.toml` maps them under this package. The parts that import no Prefect live in this
folder: `diplowatch.cli` (the command), `diplowatch.fetch` (HTTP), `diplowatch.settings` (the
configuration loaded and validated), `diplowatch.report` (the HTML report) and `diplowatch.demo`
(the offline sample and its server).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("diplowatch")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
