"""The load benchmark's baseline: a minimal Flask endpoint that stores one row per request.

``POST /reports`` takes the same JSON body as the real intake (``category``, ``lat``, ``lon``,
``description``; the ``Idempotency-Key`` header is stored as it comes) and inserts one row into
a one-table schema in PostgreSQL, in its own transaction, then answers ``201`` with the new id.
It has no validation, routing, SLA, events or idempotency: it is the floor of what any
Flask + SQLAlchemy + PostgreSQL service behind the same gunicorn must spend on a write.

It is served by the same gunicorn code and settings as ``maengelmelder serve`` (the command's
own launcher, same worker and thread defaults), so the comparison in ``benchmarks/load.py``
measures the application, not the server.

    python benchmarks/baseline_app.py --database-url postgresql+psycopg://... --port 5099
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, jsonify, request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SCHEMA = """
CREATE TABLE IF NOT EXISTS baseline_reports (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    category text NOT NULL,
    lat double precision NOT NULL,
    lon double precision NOT NULL,
    description text NOT NULL,
    idempotency_key text
)
"""
INSERT = sa.text(
    "INSERT INTO baseline_reports (category, lat, lon, description, idempotency_key) "
    "VALUES (:category, :lat, :lon, :description, :key) RETURNING id"
)


def create_schema(database_url: str) -> None:
    """Create the one table (idempotent)."""
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(SCHEMA)
    engine.dispose()


def create_app(database_url: str) -> Flask:
    app = Flask("baseline")
    # Same pool behaviour as the real app on PostgreSQL (see maengelmelder.app.create_app).
    engine = sa.create_engine(database_url, pool_pre_ping=True)

    @app.post("/reports")
    def create_report():
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify({"error": "invalid_json"}), 400
        with engine.begin() as conn:
            new_id = conn.execute(
                INSERT,
                {
                    "category": str(body.get("category", "")),
                    "lat": float(body.get("lat", 0)),
                    "lon": float(body.get("lon", 0)),
                    "description": str(body.get("description", "")),
                    "key": request.headers.get("Idempotency-Key"),
                },
            ).scalar_one()
        return jsonify({"id": new_id}), 201

    @app.get("/healthz")
    def healthz():
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return jsonify({"status": "ok"})

    return app


def main(argv: list[str] | None = None) -> int:
    from maengelmelder.cli import _gunicorn, serve

    # The serve command's own defaults, so both servers always run with the same settings.
    defaults = {p.name: p.default for p in serve.params}
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=defaults["workers"])
    parser.add_argument("--threads", type=int, default=defaults["threads"])
    args = parser.parse_args(argv)
    create_schema(args.database_url)
    _gunicorn(create_app(args.database_url), args.host, args.port, args.workers, args.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
