"""diplowatch: a scheduled monitor of French news for US–Russia–Ukraine diplomacy.

Installed, the project is this one package: `diplowatch.flows` (Prefect flows, the CLI, all I/O),
`diplowatch.extractors` (pure functions), `diplowatch.storage` (DuckDB) and `diplowatch.config`
(the shipped TOML). The repository keeps those four as top-level folders; `pyproject.toml` maps
them under this package.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("diplowatch")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
