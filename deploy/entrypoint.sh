#!/bin/sh
# Factbase's entrypoint: the Docker image's, `make serve`'s and the tests'.
#
# With no arguments: apply the migrations (unless DJANGO_MIGRATE=0: with several app servers, migrate
# once as a release step instead), collect static files if DJANGO_COLLECTSTATIC=1 (the image collects
# them at build time), then replace this shell with gunicorn (deploy/gunicorn.conf.py), so that it
# receives the container's signals: SIGTERM finishes the requests in flight, then stops.
# With arguments: run them instead (`docker run IMAGE python manage.py createsuperuser`).
set -eu

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

if [ "${DJANGO_MIGRATE:-1}" != "0" ]; then
    "$PYTHON" manage.py migrate --no-input
fi
if [ "${DJANGO_COLLECTSTATIC:-0}" = "1" ]; then
    "$PYTHON" manage.py collectstatic --no-input --verbosity 0
fi

exec "$PYTHON" -m gunicorn factbase.wsgi:application --config deploy/gunicorn.conf.py
