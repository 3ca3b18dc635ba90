"""The database goes away after a request's last query: the answer already made still stands."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import jsonify

from maengelmelder.extensions import db


def test_an_answer_made_before_the_database_went_away_is_not_a_500(app, client, caplog):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("needs a server whose session can be terminated")
        url = db.engine.url.render_as_string(hide_password=False)

    def answered_then_cut_off():
        # The request's own transaction is open (it has read something) ...
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        # ... when the server ends its session, as a restart does.
        other = sa.create_engine(url, poolclass=sa.NullPool)
        with other.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        other.dispose()
        return jsonify({"backend": pid})

    app.add_url_rule("/api/v1/_cut-off", view_func=answered_then_cut_off)
    resp = client.get("/api/v1/_cut-off")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert "database gone after the answer" in caplog.text
    # The dead connection was dropped: the next request gets a fresh one.
    again = client.get("/api/v1/_cut-off")
    assert again.status_code == 200
    assert again.json["backend"] != resp.json["backend"]
