"""Datasette as an ASGI application for gunicorn's uvicorn workers (`make bench`'s Datasette peer):
the SQLite copy named by BENCH_SQLITE_PATH, opened immutable (read-only, its counts cached), with
bench/peers.py's settings. Not a module named `datasette`: that would hide the package."""

import os

from datasette.app import Datasette

from bench.peers import DATASETTE_SETTINGS

application = Datasette(immutables=[os.environ["BENCH_SQLITE_PATH"]], settings=DATASETTE_SETTINGS).app()
