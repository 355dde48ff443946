# HPH Tracker: migrates the database named by HPH_DATABASE_URL, then serves with uvicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HPH_DATA_DIR=/var/lib/hph \
    HPH_SECURE_COOKIES=true \
    HPH_WORKERS=2 \
    HPH_TRUSTED_PROXIES=""
# Behind a reverse proxy, set HPH_TRUSTED_PROXIES to the address or network it connects from
# (e.g. -e HPH_TRUSTED_PROXIES=172.18.0.0/16); X-Forwarded-For from anyone else is ignored.

# Pango for WeasyPrint (the storyboard's PDF); without it the PDF link answers 503.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /var/lib/hph hph
WORKDIR /srv/hph

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY checklists ./checklists
COPY templates ./templates
RUN pip install --upgrade pip && pip install -e .

USER hph
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["sh", "-c", "hph migrate && exec hph serve --host 0.0.0.0 --port 8000 --workers ${HPH_WORKERS}"]
