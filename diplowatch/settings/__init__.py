"""The configuration, Prefect-free: loaded, merged with a user's directory, validated.

`loader.py` reads the shipped TOML in `diplowatch.config`, lays a user's `--config DIR` over it
and returns a `Config`; `schema.py` declares every tunable setting of `settings.toml`;
`validation.py` turns a pydantic error into one line naming the file, key and value;
`sources.py` chooses what a backfill reads from the configuration alone.
"""
