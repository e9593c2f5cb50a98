"""serve_http (the serve app inside the function) in this process: which HTTP events it takes, Mangum's answers, stages as root_path.

(The same code inside the real function on the emulator: test_serve_lambda.py.)
"""

from __future__ import annotations

import base64
import json
import sys

import pytest
import requests

from podpac_exec.backends.aws_lambda.function import serve_http as lambda_http
from serve_support import EXAMPLES, function_url_event, rest_event


@pytest.fixture
def serving(monkeypatch):
    monkeypatch.setenv("PODPAC_EXEC_SERVE__PIPELINES", f"wave={EXAMPLES / 'wave_field.json'}")
    lambda_http._handler.clear()
    yield
    lambda_http._handler.clear()


def test_wants_only_serve_gets_of_a_serving_function(monkeypatch, serving):
    assert lambda_http.wants(function_url_event("/tiles/WebMercatorQuad/0/0/0.png"))
    assert lambda_http.wants(rest_event("/wms", {"REQUEST": "GetCapabilities"}))
    assert not lambda_http.wants(rest_event("/evaluate", {"pipeline": "{}", "coordinates": "{}"}))
    post = function_url_event("/")
    post["requestContext"]["http"]["method"] = "POST"
    assert not lambda_http.wants(post)
    monkeypatch.delenv("PODPAC_EXEC_SERVE__PIPELINES")
    assert not lambda_http.wants(function_url_event("/"))  # a function that serves nothing


def test_answers_are_mangums_with_binary_base64(serving, url):
    answer = lambda_http.handle(function_url_event("/tiles/WGS1984Quad/1/0/0.png", "layer=wave"), None)
    assert answer["statusCode"] == 200 and answer["isBase64Encoded"] is True
    local = requests.get(f"{url}/tiles/WGS1984Quad/1/0/0.png", params={"layer": "wave"}, timeout=60)
    assert base64.b64decode(answer["body"]) == local.content  # the same app, the same bytes
    legend = lambda_http.handle(function_url_event("/legend.json"), None)
    assert legend["isBase64Encoded"] is False and json.loads(legend["body"])["layer"] == "wave"


def test_stages_become_the_root_path(serving):
    rest = lambda_http.handle(rest_event("/tilejson.json", {}, stage="prod"), None)
    assert json.loads(rest["body"])["tiles"][0].startswith("https://abcd.execute-api.us-east-1.amazonaws.com/prod/tiles/")
    v2 = lambda_http.handle(function_url_event("/tilejson.json", stage="beta"), None)
    assert json.loads(v2["body"])["tiles"][0].startswith("https://abcd.lambda-url.us-east-1.on.aws/beta/tiles/")
    default = lambda_http.handle(function_url_event("/tilejson.json"), None)
    assert json.loads(default["body"])["tiles"][0].startswith("https://abcd.lambda-url.us-east-1.on.aws/tiles/")


def test_bad_entries_and_a_missing_extra_say_what_to_do(monkeypatch, serving):
    monkeypatch.setenv("PODPAC_EXEC_SERVE__PIPELINES", "no-location")
    with pytest.raises(lambda_http.ServeRequestError, match="must be NAME=LOCATION"):
        lambda_http.handle(function_url_event("/"), None)
    monkeypatch.setenv("PODPAC_EXEC_SERVE__PIPELINES", f"wave={EXAMPLES / 'wave_field.json'}")
    monkeypatch.setitem(sys.modules, "mangum", None)  # as in a function packaged without the extra
    with pytest.raises(lambda_http.ServeRequestError, match="aws package --serve"):
        lambda_http.handle(function_url_event("/"), None)
