"""The database goes away after a request's last query: the answer already made still stands."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify

from maengelmelder.extensions import db


def _cut_off(url: str) -> None:
    """End the current request's database connection under its open transaction."""
    if db.engine.dialect.name == "postgresql":
        # The server ends the session, as a restart or an administrator does.
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        other = sa.create_engine(url, poolclass=sa.NullPool)
        with other.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        other.dispose()
    else:
        # The file database's handle is closed under the session.
        db.session.connection().connection.dbapi_connection.close()


def test_an_answer_made_before_the_database_went_away_is_not_a_500(app, client, caplog):
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)

    def answered_then_cut_off():
        # The request reads (so its transaction is open), makes its answer, then loses the
        # connection before the session is ended.
        count = db.session.execute(sa.text("SELECT count(*) FROM categories")).scalar_one()
        _cut_off(url)
        return jsonify({"categories": count})

    app.add_url_rule("/api/v1/_cut-off", view_func=answered_then_cut_off)
    resp = client.get("/api/v1/_cut-off")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["categories"] >= 10
    assert "database gone after the answer" in caplog.text
    # The dead connection was dropped, not handed to the next request: it reads again.
    again = client.get("/api/v1/_cut-off")
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.json == resp.json
