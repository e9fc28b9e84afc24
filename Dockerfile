# Factbase: a first working image (a later issue hardens it: health check, entrypoint script, lint).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies in their own layer, rebuilt only when requirements.txt changes.
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Collect static files at build time (a throwaway key: collectstatic needs one, the app never uses it).
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --no-input

RUN useradd --create-home --uid 10001 factbase && chown -R factbase /app
USER factbase

EXPOSE 8000
# Set DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL when running the image.
ENV DJANGO_DEBUG=0
CMD ["sh", "-c", "python manage.py migrate --no-input && exec gunicorn factbase.wsgi:application --bind 0.0.0.0:8000 --workers 2 --access-logfile -"]
