"""The offline demo: an invented French news site served on a loopback port, Prefect-free.

`sample/` holds the data (articles and feeds, TOML); `loader.py` reads it, `pages.py` renders
its feeds and pages, `server.py` serves them (`DemoServer`, for `diplowatch demo` and the tests).
"""
