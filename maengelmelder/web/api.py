"""The native API's toolkit: flask-smorest with this project's conventions.

Every `/api/v1` route is declared on a `Blueprint` from here, with `@bp.arguments(Schema)` for
its input and `@bp.response(status, Schema)` for its output, so the OpenAPI document is
generated from the code that runs. The conventions:

- input errors have the API's one error shape (`errors.ApiError`): a body that is not a JSON
  object is `400 invalid_json`, invalid fields are `422 validation_failed`, an invalid query
  parameter is `400 validation_failed`; a schema's `Meta.unknown` decides about unknown fields;
- error responses are the document's `Error<status>` components; the document adds `503` to
  every operation, `400` to every operation with input, and `401`/`403` plus the security
  schemes to every operation whose view checks a role (`accounts.auth.require`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import flask
import flask_smorest
from apispec import APISpec
from flask import Flask, current_app
from webargs.flaskparser import FlaskParser

from ..errors import ApiError, validation_error

# The input locations whose errors are the request's fault as a whole (400), not a field's.
_QUERY_LOCATIONS = {"query", "querystring", "headers", "cookies", "view_args", "path"}


class Parser(FlaskParser):
    """webargs' Flask parser, answering with the API's error shape."""

    DEFAULT_VALIDATION_STATUS = 422
    # The schema's own `Meta.unknown` applies everywhere (webargs would EXCLUDE in the query).
    DEFAULT_UNKNOWN_BY_LOCATION: ClassVar[dict[str, Any]] = {}

    def load_json(self, req, schema):
        data = req.get_json(silent=True)
        if not isinstance(data, dict):
            raise ApiError(400, "invalid_json")
        return data

    def load_querystring(self, req, schema):
        # One value per name, as the routes always read it (`request.args.to_dict()`).
        return req.args.to_dict()

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        # webargs files the messages under their location (`{"query": {"limit": …}}`); the
        # error shape names the fields themselves, as `web.request` and the routes always did.
        (messages,) = error.messages.values()
        raise validation_error(messages, status=error_status_code or self.DEFAULT_VALIDATION_STATUS)


def error_ref(status: int) -> str:
    """The name of the error response component of a status."""
    return f"Error{status}"


class Blueprint(flask_smorest.Blueprint):
    """A feature's API blueprint (see the module's docstring for the conventions)."""

    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, *, location: str = "json", **kwargs: Any) -> Callable:
        status = 400 if location in _QUERY_LOCATIONS else 422
        kwargs.setdefault("error_status_code", status)
        inner = super().arguments(schema, location=location, **kwargs)

        def decorator(func: Callable) -> Callable:
            wrapped = inner(func)
            responses = wrapped._apidoc["arguments"]["responses"]
            for code in list(responses):
                responses[code] = error_ref(code)
            return wrapped

        return decorator

    def errors(self, *statuses: int) -> Callable:
        """Document the error answers a view gives besides the ones every operation has."""
        return self.doc(responses={str(s): error_ref(s) for s in statuses})


class Api(flask_smorest.Api):
    """flask-smorest's Api without its own error handlers, default error response or doc
    routes: the app has one error shape (`errors`), and `openapi` serves the document.

    The document is written when something first reads `spec`, not while the app is built:
    registering a blueprint registers its routes and notes the blueprint, `add_to_spec` notes
    a change, and reading `spec` applies the notes in their order, so the document is the one
    an eager build would give. An app that never serves its document never pays for it.
    """

    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._spec: APISpec | None = None
        self._pending: list[Callable[[APISpec], object]] = []
        self._writing = False
        super().__init__(*args, **kwargs)

    @property
    def spec(self) -> APISpec | None:
        """The document's spec, with every noted blueprint and change in it."""
        if self._pending and not self._writing:
            self._writing = True
            try:
                while self._pending:
                    self._pending.pop(0)(self._spec)
            finally:
                self._writing = False
        return self._spec

    @spec.setter
    def spec(self, value: APISpec | None) -> None:
        self._spec = value

    def add_to_spec(self, change: Callable[[APISpec], object]) -> None:
        """Apply `change(spec)` when the document is written, after what was noted before."""
        self._pending.append(change)

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        # flask-smorest's own, with the documentation part noted for later.
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)

        def document(spec: APISpec) -> None:
            blp.register_views_in_doc(self, self._app, spec, name=name, parameters=parameters)
            spec.tag({"name": name, "description": blp.description})

        self.add_to_spec(document)

    def _register_error_handlers(self) -> None:
        pass

    def _register_doc_blueprint(self) -> None:
        pass

    def _register_responses(self) -> None:
        pass


EXTENSION = "maengelmelder-api"


def init_app(app: Flask, spec_kwargs: dict[str, Any]) -> Api:
    """Create the app's Api; features then `register(app, bp)` their blueprints."""
    app.config.setdefault("API_TITLE", spec_kwargs.pop("title"))
    app.config.setdefault("API_VERSION", spec_kwargs.pop("version"))
    app.config.setdefault("OPENAPI_VERSION", spec_kwargs.pop("openapi_version"))
    api = Api()
    api.init_app(app, spec_kwargs=spec_kwargs)
    app.extensions[EXTENSION] = api
    return api


def api_of(app: Flask | None = None) -> Api:
    return (app or current_app).extensions[EXTENSION]


def register(app: Flask, bp: flask.Blueprint) -> None:
    """Register a feature's blueprint; an API blueprint also into the document."""
    if isinstance(bp, flask_smorest.Blueprint):
        api_of(app).register_blueprint(bp)
    else:
        app.register_blueprint(bp)
