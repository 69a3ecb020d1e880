"""Pure functions: bytes or text in, records out. No Prefect, no network, no database."""
