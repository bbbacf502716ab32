#!/usr/bin/env python3
"""The Pika side of Hare's interop tests: a real AMQP client that nobody on Hare wrote.

    pika-peer.py publish QUEUE             publish one message with every property and every
                                           field type Pika can encode to QUEUE (default exchange)
    pika-peer.py consume QUEUE [SECONDS]   fetch one message from QUEUE (basic.get, retried until
                                           SECONDS, default 10, pass) and print it as JSON

The broker is HARE_TEST_URL (default amqp://guest:guest@127.0.0.1:5672/).

`consume` prints {"exchange", "routing_key", "redelivered", "body" (hex), "properties"}, where each
property and each header value is described with its Python type as Pika decoded it:
{"type": T, "value": V} with T one of none, bool, int, float, decimal, str, bytes (V in hex),
datetime (V in seconds since the epoch, plus "tz"); a dict is
{"type": "dict", "entries": [{"key": K, "value": ...}, ...]} in wire order, a list
{"type": "list", "items": [...]}.

Exit status: 0 done, 2 bad usage, 3 no message within the timeout, 4 no usable Pika (1.4 or
later; `python3 -m pip install 'pika>=1.4'`).
"""

import datetime
import decimal
import json
import os
import sys
import time

INSTALL_HINT = "Install it with `python3 -m pip install 'pika>=1.4'`."

try:
    import pika
except ImportError as error:
    sys.stderr.write("pika-peer: cannot import Pika (%s). %s\n" % (error, INSTALL_HINT))
    sys.exit(4)


def pika_version():
    parts = []
    for part in pika.__version__.split(".")[:2]:
        digits = "".join(ch for ch in part if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


# Pika before 1.4 decodes `b` as unsigned, `B` as signed and `l` as unsigned, so it cannot
# check Hare's encoding of those types.
if pika_version() < (1, 4):
    sys.stderr.write("pika-peer: Pika %s is too old (1.4 or later is needed). %s\n" % (pika.__version__, INSTALL_HINT))
    sys.exit(4)

URL = os.environ.get("HARE_TEST_URL", "amqp://guest:guest@127.0.0.1:5672/")

# The body `publish` sends: text, NUL and bytes that are not UTF-8.
BODY = b"pika -> hare \x00\x01\xfe\xff " + "caf\u00e9 \u2603".encode("utf-8")


def published_headers():
    """Every field type Pika's encoder knows (it has no float: a float raises)."""
    return {
        "str": "hello, w\u00f6rld",
        "empty_str": "",
        "bytes": b"\x00\x01\xfe\xff",
        "int_small": 42,
        "int_negative": -42,
        "int_max32": 2147483647,
        "int_large": 2 ** 40 + 5,
        "int_min64": -(2 ** 63),
        "bool_true": True,
        "bool_false": False,
        "decimal": decimal.Decimal("3.14"),
        "decimal_negative": decimal.Decimal("-0.005"),
        "decimal_whole": decimal.Decimal("100"),
        "datetime": datetime.datetime(2024, 2, 29, 12, 34, 56, tzinfo=datetime.timezone.utc),
        "table": {"inner": "value", "number": 1, "deeper": {"flag": True}},
        "empty_table": {},
        "list": [1, "two", True, None, [3, b"\x04"], {"k": "v"}],
        "empty_list": [],
        "none": None,
    }


def connect():
    return pika.BlockingConnection(pika.URLParameters(URL))


def publish(queue):
    parameters = pika.URLParameters(URL)
    properties = pika.BasicProperties(
        content_type="application/x-hare-interop",
        content_encoding="identity",
        headers=published_headers(),
        delivery_mode=2,
        priority=5,
        correlation_id="correlation-pika",
        reply_to="reply-queue-pika",
        expiration="60000",
        message_id="message-pika",
        timestamp=1700000000,
        type="interop.pika-to-hare",
        # RabbitMQ refuses a user_id other than the connection's user.
        user_id=parameters.credentials.username,
        app_id="pika-peer",
        cluster_id="cluster-pika",
    )
    connection = connect()
    try:
        channel = connection.channel()
        channel.confirm_delivery()
        # Mandatory with confirms: a missing queue raises UnroutableError instead of passing.
        channel.basic_publish(exchange="", routing_key=queue, body=BODY, properties=properties, mandatory=True)
    finally:
        connection.close()
    print(json.dumps({"published": True, "queue": queue}))


def describe(value):
    if value is None:
        return {"type": "none"}
    if isinstance(value, bool):
        return {"type": "bool", "value": "true" if value else "false"}
    # Any int (Pika marks 64-bit values with an int subclass in some versions, not in others).
    if isinstance(value, int):
        return {"type": "int", "value": str(value)}
    if isinstance(value, float):
        return {"type": "float", "value": repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"type": "decimal", "value": str(value)}
    if isinstance(value, str):
        return {"type": "str", "value": value}
    if isinstance(value, (bytes, bytearray)):
        return {"type": "bytes", "value": bytes(value).hex()}
    if isinstance(value, datetime.datetime):
        return {"type": "datetime", "value": str(int(value.timestamp())), "tz": str(value.tzinfo)}
    if isinstance(value, dict):
        entries = []
        for key, item in value.items():
            name = key if isinstance(key, str) else "bytes:" + bytes(key).hex()
            entries.append({"key": name, "value": describe(item)})
        return {"type": "dict", "entries": entries}
    if isinstance(value, list):
        return {"type": "list", "items": [describe(item) for item in value]}
    return {"type": type(value).__name__, "value": repr(value)}


PROPERTY_NAMES = [
    "content_type", "content_encoding", "headers", "delivery_mode", "priority", "correlation_id",
    "reply_to", "expiration", "message_id", "timestamp", "type", "user_id", "app_id", "cluster_id",
]


def consume(queue, timeout):
    connection = connect()
    try:
        channel = connection.channel()
        deadline = time.monotonic() + timeout
        while True:
            method, properties, body = channel.basic_get(queue=queue, auto_ack=True)
            if method is not None:
                break
            if time.monotonic() >= deadline:
                sys.stderr.write("pika-peer: no message in %s within %s s\n" % (queue, timeout))
                sys.exit(3)
            time.sleep(0.05)
    finally:
        if connection.is_open:
            connection.close()
    report = {
        "exchange": method.exchange,
        "routing_key": method.routing_key,
        "redelivered": bool(method.redelivered),
        "body": bytes(body).hex(),
        "properties": {name: describe(getattr(properties, name)) for name in PROPERTY_NAMES},
    }
    print(json.dumps(report))


def main(arguments):
    if len(arguments) >= 2 and arguments[0] == "publish":
        publish(arguments[1])
    elif len(arguments) >= 2 and arguments[0] == "consume":
        timeout = float(arguments[2]) if len(arguments) >= 3 else 10.0
        consume(arguments[1], timeout)
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv[1:])
