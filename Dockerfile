# Factbase: the production image. gunicorn on port 8000 behind a load balancer that terminates TLS.
#
#   docker build -t factbase .
#   docker run -p 8000:8000 -e DJANGO_SECRET_KEY=... -e DJANGO_ALLOWED_HOSTS=factbase.example.org \
#              -e DATABASE_URL=postgres://factbase:...@db:5432/factbase factbase
#
# The entrypoint (deploy/entrypoint.sh) migrates, then execs gunicorn (deploy/gunicorn.conf.py); any
# other command given to `docker run` runs instead. docs/deployment.md says how to run it on many machines.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies in their own layer, rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .

# Static files (the admin's, the API docs') collected and compressed at build time; whitenoise serves
# them. A throwaway key: collectstatic needs one, the running app never sees it.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only-not-a-secret DJANGO_ALLOWED_HOSTS=localhost \
        python manage.py collectstatic --no-input --verbosity 0 \
    && useradd --create-home --uid 10001 --user-group factbase \
    && chmod 0755 deploy/entrypoint.sh

# Not root: the code and the static files belong to root and stay read-only for the app.
USER 10001:10001

# Production; each worker keeps its database connection for a minute, checked before reuse
# (DJANGO_DB_POOL=1 for psycopg's pool instead).
ENV DJANGO_DEBUG=0 \
    DJANGO_CONN_MAX_AGE=60 \
    GUNICORN_BIND=0.0.0.0:8000
EXPOSE 8000

# /healthz answers 200 while the database answers (503 when it does not), over plain HTTP.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["/app/deploy/entrypoint.sh"]
