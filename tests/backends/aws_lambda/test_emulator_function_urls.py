"""Function URLs on the emulator: HTTP in, the Function URL event to the handler, AWS's rules out."""

from __future__ import annotations

import base64
import json

import pytest
import requests

pytestmark = [pytest.mark.emulator, pytest.mark.timeout(120)]

ECHO = """
import base64, json
def handler(event, context):
    path = event["rawPath"]
    if path == "/boom":
        raise RuntimeError("boom")
    if path == "/plain":
        return {"just": "a dict"}
    if path == "/png":
        return {"statusCode": 201, "headers": {"content-type": "image/png"}, "cookies": ["a=1; Path=/", "b=2"],
                "isBase64Encoded": True, "body": base64.b64encode(b"\\x89PNG-bytes").decode()}
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}
"""


@pytest.fixture
def url(deploy, lambda_client) -> str:
    deploy(ECHO)
    created = lambda_client.create_function_url_config(FunctionName="fn", AuthType="NONE")
    assert lambda_client.get_function_url_config(FunctionName="fn")["FunctionUrl"] == created["FunctionUrl"]
    return created["FunctionUrl"]


def test_the_url_is_a_local_listener_sending_function_url_events(url, aws_emulator):
    assert url.startswith("http://127.0.0.1:") and url.endswith("/")
    assert [u["url"] for u in aws_emulator.function_urls()] == [url]
    r = requests.post(url + "some/path?a=1&a=2&b=", data=b"\x00\x01binary", headers={"Cookie": "c=3; d=4",
                      "Content-Type": "application/octet-stream", "X-Custom": "yes"}, timeout=60)
    assert r.status_code == 200
    event = r.json()
    assert (event["version"], event["routeKey"], event["rawPath"]) == ("2.0", "$default", "/some/path")
    assert event["rawQueryString"] == "a=1&a=2&b=" and event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["cookies"] == ["c=3", "d=4"] and event["headers"]["x-custom"] == "yes"
    assert event["headers"]["x-forwarded-proto"] == "http" and "cookie" not in event["headers"]
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\x00\x01binary"
    http = event["requestContext"]["http"]
    assert (http["method"], http["path"], event["requestContext"]["stage"]) == ("POST", "/some/path", "$default")
    text = requests.post(url, json={"k": "v"}, timeout=60).json()
    assert text["isBase64Encoded"] is False and json.loads(text["body"]) == {"k": "v"}


def test_answers_follow_the_function_url_rules(url):
    png = requests.get(url + "png", timeout=60)
    assert (png.status_code, png.headers["content-type"], png.content) == (201, "image/png", b"\x89PNG-bytes")
    assert png.cookies.get("a") == "1" and png.cookies.get("b") == "2"
    plain = requests.get(url + "plain", timeout=60)
    assert plain.status_code == 200 and plain.json() == {"just": "a dict"}  # not a response: the body itself
    boom = requests.get(url + "boom", timeout=60)
    assert boom.status_code == 502 and boom.json() == {"Message": "Internal Server Error"}


def test_aws_iam_urls_need_a_signature_and_a_removed_url_is_gone(url, lambda_client):
    lambda_client.update_function_url_config(FunctionName="fn", AuthType="AWS_IAM")
    assert requests.get(url + "x", timeout=60).status_code == 403
    signed = requests.get(url + "x", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=testing/..."}, timeout=60)
    assert signed.status_code == 200
    lambda_client.delete_function_url_config(FunctionName="fn")
    assert requests.get(url + "x", timeout=60).status_code == 404


def test_reset_stops_the_listeners(url, aws_emulator):
    aws_emulator.reset()
    assert aws_emulator.function_urls() == []
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=10)
