# Runs `moderation serve` against DATABASE_URL as a non-root user.
# docker run -e DATABASE_URL=postgresql://... -e MODERATION_SECRET=... -p 8000:8000 moderation
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY moderation ./moderation
COPY sql ./sql
COPY classifiers ./classifiers
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MODERATION_HOST=0.0.0.0 \
    MODERATION_PORT=8000 \
    MODERATION_DATA_DIR=/var/lib/moderation
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /var/lib/moderation --create-home moderation
USER moderation
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["moderation", "serve"]
