"""The emulator's execution log: each line keeps the time it was written, in order."""

from __future__ import annotations

import json

from podpac_exec.backends.aws_lambda.emulator.logs import TimedLog


def test_chunks_keep_their_own_times_and_runtime_stamps_win():
    log = TimedLog()
    log.add("START RequestId: r Version: $LATEST\n", at_ms=1_000_000)
    log.add("[INFO]\t1970-01-01T00:16:41.500Z\tr\tworking\nplain print\n", at_ms=1_003_000)
    log.add("END RequestId: r\nREPORT RequestId: r\tDuration: 3000.00 ms\t\n", at_ms=1_003_010)
    events = log.events()
    assert [e["timestamp"] for e in events] == [1_000_000, 1_001_500, 1_003_000, 1_003_010, 1_003_010]
    assert log.text().startswith("START") and log.text().endswith("\t\n")


def test_stamps_never_go_backwards():
    log = TimedLog()
    log.add("a\n", at_ms=5_000)
    log.add("[INFO]\t1970-01-01T00:00:01.000Z\tr\tan old stamp\n", at_ms=6_000)
    assert [e["timestamp"] for e in log.events()] == [5_000, 5_000]


def test_a_long_invocation_has_start_and_end_seconds_apart(aws_emulator, deploy, lambda_client):
    deploy("import time\ndef handler(e, c):\n    time.sleep(1.5)\n    return 1\n", Timeout=10)
    lambda_client.invoke(FunctionName="fn", Payload=json.dumps({}).encode())
    events = aws_emulator.client("logs").filter_log_events(logGroupName="/aws/lambda/fn")["events"]
    when = {e["message"].split(" ", 1)[0]: e["timestamp"] for e in events}
    assert when["START"] <= when["END"] - 1400 and when["END"] <= when["REPORT"]
    assert when["INIT_START"] <= when["START"]
    assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
