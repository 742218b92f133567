"""Schemathesis over the OpenAPI (issue 12, "In CI"): every HTTP route, fed what its schema allows and
what it doesn't, never answers with a server error (5xx) and answers with the content type it documents.
Against a real uvicorn server on loopback (started at import: schemathesis reads the schema then)."""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import content_type_conformance, not_a_server_error

from ws_helpers import start_server

SERVER = start_server()
schema = schemathesis.openapi.from_url(SERVER.http_url + "/openapi.json")


@pytest.fixture(scope="module", autouse=True)
def _stop_the_server():
    yield
    SERVER.stop()


@schema.parametrize()
@settings(max_examples=40, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case):
    case.call_and_validate(base_url=SERVER.http_url, checks=[not_a_server_error, content_type_conformance])
