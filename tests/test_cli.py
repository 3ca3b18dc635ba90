"""The maengelmelder command."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from maengelmelder.core.catalog import Category, Department
from maengelmelder.extensions import db
from maengelmelder.zoning.models import Zone


def test_demo_load_is_idempotent(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo", "load"])
        assert result.exit_code == 0, result.output
        assert "demo city loaded" in result.output
    with app.app_context():
        count = lambda m: db.session.scalar(select(func.count()).select_from(m))  # noqa: E731
        assert count(Department) >= 4
        assert count(Category) >= 10
        assert count(Zone) >= 5


def test_db_upgrade_then_demo_load_on_a_fresh_database(tmp_path):
    env = {
        "MAENGELMELDER_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    for args in (["db", "upgrade"], ["demo", "load"]):
        done = subprocess.run(
            [sys.executable, "-m", "maengelmelder", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert (tmp_path / "maengelmelder.db").exists()
    assert "12 categories" in done.stdout


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_gunicorn_on_the_given_port(tmp_path):
    import json
    import urllib.request

    env = {"MAENGELMELDER_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "maengelmelder", "db", "upgrade"], env=env, check=True, timeout=120
    )
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "maengelmelder", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # gunicorn says when its worker is up; read its log instead of sleeping.
        for line in server.stderr:
            if "Booting worker" in line:
                break
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as resp:
            assert resp.status == 200
            assert json.load(resp)["status"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_freezes_startup_objects_before_gunicorn_forks(monkeypatch):
    """What the master built before forking is frozen, so the workers' full collections skip it."""
    import gc

    from flask import Flask
    from gunicorn.app.base import BaseApplication

    from maengelmelder.cli import _gunicorn

    frozen_at_run = []
    # Stop at the point where gunicorn would fork its workers: what is frozen by then?
    monkeypatch.setattr(
        BaseApplication, "run", lambda self: frozen_at_run.append(gc.get_freeze_count())
    )
    before = gc.get_freeze_count()
    try:
        _gunicorn(Flask("serve-test"), "127.0.0.1", _free_port(), 1, 1)
    finally:
        gc.unfreeze()
    assert frozen_at_run and frozen_at_run[0] > before


def test_the_launcher_starts_no_job_runner_for_another_app(monkeypatch):
    """The load benchmark's baseline is served by the same launcher: its workers must boot."""
    from flask import Flask

    from maengelmelder import cli, jobs

    started = []
    monkeypatch.setattr(jobs, "start_runner", started.append)
    cli._start_jobs(Flask("baseline"))  # raised "not registered with this SQLAlchemy" before
    assert started == []
