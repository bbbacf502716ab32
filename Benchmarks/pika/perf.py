#!/usr/bin/env python3
"""Pika (1.x) peer for Benchmarks/compare: the broker workloads of issue 5, done the way a Python
program would do them with Pika, one connection, one channel, with either of Pika's two faces:
`select` (SelectConnection: callbacks on its ioloop) or `blocking` (BlockingConnection).

  perf.py FACE publish N SIZE QUEUE            A: publish N messages, then one synchronous round trip
  perf.py FACE confirm N SIZE WINDOW QUEUE     B: publish with confirms, at most WINDOW unconfirmed
  perf.py FACE consume N PREFETCH MULTI QUEUE  C: consume N messages, ack with multiple every MULTI
  perf.py FACE rpc N SIZE                      D: N sequential round trips (publish, consume it back)
  perf.py codec N                              E: N times encode basic.publish + header + body into
                                                  bytes with pika.frame, decode them with decode_frame

The same workloads and output as rabbitmq-c/perf.c. The broker: AMQP_HOST / AMQP_PORT (default
127.0.0.1:5672, guest/guest, vhost /). Prints one JSON object: messages, seconds, the process's
CPU seconds (from after the channel is open to the end of the timed part) and peak RSS, and for
rpc the latency percentiles in microseconds. Exits 1 with a message on standard error when the
broker refuses anything.
"""
import json
import os
import resource
import sys
import time

import pika
from pika import frame, spec

USAGE = ("usage: perf.py select|blocking publish N SIZE QUEUE | confirm N SIZE WINDOW QUEUE"
         " | consume N PREFETCH MULTI QUEUE | rpc N SIZE; perf.py codec N")
PUBLISH_TURN_BYTES = 1 << 20  # select face: about this much published per ioloop turn


class Fail(Exception):
    """A refusal or broken expectation; main prints it and exits 1."""


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Measurement:
    """Wall clock of the timed part, CPU from creation (after connect) to stop, rpc latencies."""

    def __init__(self):
        self.cpu_start = cpu_seconds()
        self.wall_start = self.seconds = self.cpu = 0.0
        self.latencies = []

    def start(self):
        self.wall_start = time.perf_counter()

    def stop(self):
        self.seconds = time.perf_counter() - self.wall_start
        self.cpu = cpu_seconds() - self.cpu_start

    def report(self, client, mode, count):
        p50 = p99 = -1.0
        if self.latencies:
            ordered = sorted(self.latencies)
            p50 = ordered[int(count * 0.50)]
            p99 = ordered[min(int(count * 0.99), count - 1)]
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({"client": client, "mode": mode, "messages": count,
                          "seconds": round(self.seconds, 6), "cpu_seconds": round(self.cpu, 6),
                          "peak_rss_bytes": peak, "p50_us": round(p50, 1), "p99_us": round(p99, 1)}))


def parameters():
    return pika.ConnectionParameters(host=os.environ.get("AMQP_HOST", "127.0.0.1"),
                                     port=int(os.environ.get("AMQP_PORT", "5672")),
                                     virtual_host="/",
                                     credentials=pika.PlainCredentials("guest", "guest"))


# Blocking face: every call returns when its work is on the wire (and its reply, if any, is in).

def blocking_publish(channel, measurement, count, size, queue):
    body = bytes(size)
    measurement.start()
    for _ in range(count):
        channel.basic_publish("", queue, body)
    channel.queue_declare(queue, passive=True)
    measurement.stop()


def blocking_confirm(channel, measurement, count, size, _window, queue):
    # BlockingChannel in confirm mode makes every basic_publish wait for its own ack (a nack raises
    # NackError): Pika's blocking face has no pipelined window, so WINDOW is effectively 1.
    body = bytes(size)
    channel.confirm_delivery()
    measurement.start()
    try:
        for _ in range(count):
            channel.basic_publish("", queue, body)
    except pika.exceptions.NackError:
        raise Fail("the broker nacked a message") from None
    measurement.stop()


def blocking_consume(channel, measurement, count, prefetch, multi, queue):
    received = 0

    def on_message(channel, method, properties, body):
        nonlocal received
        received += 1
        if multi <= 1 or received % multi == 0 or received == count:
            channel.basic_ack(method.delivery_tag, multiple=multi > 1)
        if received == count:
            measurement.stop()
            channel.stop_consuming()

    channel.basic_qos(prefetch_count=prefetch)
    channel.basic_consume(queue, on_message)
    measurement.start()
    channel.start_consuming()


def blocking_rpc(channel, measurement, count, size):
    # The RPC client of the RabbitMQ tutorials: a consumer callback, process_data_events until it ran.
    body = bytes(size)
    queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
    replies = []
    channel.basic_consume(queue, lambda *delivery: replies.append(delivery), auto_ack=True)
    measurement.start()
    for _ in range(count):
        sent = time.perf_counter()
        channel.basic_publish("", queue, body)
        while not replies:
            channel.connection.process_data_events(time_limit=None)
        replies.clear()
        measurement.latencies.append((time.perf_counter() - sent) * 1e6)
    measurement.stop()


def run_blocking(workload):
    connection = pika.BlockingConnection(parameters())
    channel = connection.channel()
    measurement = Measurement()
    workload(channel, measurement)
    connection.close()
    return measurement


# Select face: each workload starts on the open channel and calls run.finish() when it is done.

def select_publish(run, channel, count, size, queue):
    body = bytes(size)
    per_turn = max(1, PUBLISH_TURN_BYTES // (size + 100))  # 100: the frames' own bytes, roughly
    published = 0

    def publish_batch():
        nonlocal published
        batch = min(per_turn, count - published)
        for _ in range(batch):
            channel.basic_publish("", queue, body)
        published += batch
        if published < count:
            run.connection.ioloop.call_later(0, publish_batch)  # the ioloop writes the batch first
        else:
            channel.queue_declare(queue, passive=True, callback=lambda _: run.finish())

    run.measurement.start()
    publish_batch()


def select_confirm(run, channel, count, size, window, queue):
    body = bytes(size)
    published = confirmed = 0

    def fill_window():
        nonlocal published
        while published < count and published - confirmed < window:
            channel.basic_publish("", queue, body)
            published += 1

    def on_confirmation(method_frame):
        nonlocal confirmed
        confirmation = method_frame.method
        if run.error:  # confirmations behind a nack, the channel is closing
            return
        if isinstance(confirmation, spec.Basic.Nack):
            run.fail("the broker nacked a message")
            return
        confirmed = confirmation.delivery_tag if confirmation.multiple else confirmed + 1
        if confirmed == count:
            run.finish()
        else:
            fill_window()

    def on_select_ok(_):
        run.measurement.start()
        fill_window()

    channel.confirm_delivery(ack_nack_callback=on_confirmation, callback=on_select_ok)


def select_consume(run, channel, count, prefetch, multi, queue):
    received = 0

    def on_message(channel, method, properties, body):
        nonlocal received
        if received == count:  # more than N in the queue: the rest stay unacked
            return
        received += 1
        if multi <= 1 or received % multi == 0 or received == count:
            channel.basic_ack(method.delivery_tag, multiple=multi > 1)
        if received == count:
            run.finish()

    def on_qos_ok(_):
        channel.basic_consume(queue, on_message, callback=lambda _: run.measurement.start())

    channel.basic_qos(prefetch_count=prefetch, callback=on_qos_ok)


def select_rpc(run, channel, count, size):
    body = bytes(size)
    queue = sent = None

    def send():
        nonlocal sent
        sent = time.perf_counter()
        channel.basic_publish("", queue, body)

    def on_message(channel, method, properties, body):
        run.measurement.latencies.append((time.perf_counter() - sent) * 1e6)
        if len(run.measurement.latencies) == count:
            run.finish()
        else:
            send()

    def on_consume_ok(_):
        run.measurement.start()
        send()

    def on_declare_ok(method_frame):
        nonlocal queue
        queue = method_frame.method.queue
        channel.basic_consume(queue, on_message, auto_ack=True, callback=on_consume_ok)

    channel.queue_declare("", exclusive=True, auto_delete=True, callback=on_declare_ok)


class SelectRun:
    """One SelectConnection and channel; runs the workload, stops the ioloop when it closes."""

    def __init__(self, workload):
        self.workload = workload
        self.measurement = None
        self.done = False
        self.error = None
        self.connection = pika.SelectConnection(parameters(),
                                                on_open_callback=self._on_open,
                                                on_open_error_callback=self._on_open_error,
                                                on_close_callback=self._on_close)

    def run(self):
        self.connection.ioloop.start()
        if self.error:
            raise Fail(self.error)
        return self.measurement

    def finish(self):
        self.measurement.stop()
        self.done = True
        self.connection.close()

    def fail(self, error):
        self.error = self.error or error
        if self.connection.is_open:
            self.connection.close()

    def _on_open(self, connection):
        connection.channel(on_open_callback=self._on_channel_open)

    def _on_channel_open(self, channel):
        channel.add_on_close_callback(self._on_channel_closed)
        self.measurement = Measurement()
        self.workload(self, channel)

    def _on_channel_closed(self, channel, reason):
        if not self.done:
            self.fail(f"channel closed: {reason!r}")

    def _on_open_error(self, connection, error):
        self.error = f"cannot connect: {error!r}"
        connection.ioloop.stop()

    def _on_close(self, connection, reason):
        if not self.done:
            self.error = self.error or f"connection closed: {reason!r}"
        connection.ioloop.stop()


# Codec: what basic_publish marshals (Connection._send_message) and what the connection does with
# its input buffer (decode_frame, then drop the consumed bytes), without a socket.

def codec_frames():
    publish = spec.Basic.Publish(exchange="", routing_key="hare.bench")
    properties = spec.BasicProperties(content_type="application/json", delivery_mode=2,
                                      headers={"x-trace": "a1b2c3d4", "x-origin": "hare-bench"})
    return publish, properties, b'{"n":1234567890}'


def encode(publish, properties, body):
    return b"".join((frame.Method(1, publish).marshal(),
                     frame.Header(1, len(body), properties).marshal(),
                     frame.Body(1, body).marshal()))


def decode(data):
    frames = []
    while data:
        consumed, value = frame.decode_frame(data)
        if value is None:
            raise Fail("decode_frame: incomplete frame")
        frames.append(value)
        data = data[consumed:]
    return frames


def codec(count):
    publish, properties, body = codec_frames()
    method, header, content = decode(encode(publish, properties, body))
    if (method.method != publish or header.properties != properties
            or header.body_size != len(body) or content.fragment != body):
        raise Fail("codec: decoded frames differ from the encoded ones")
    measurement = Measurement()
    measurement.start()
    for _ in range(count):
        decode(encode(publish, properties, body))
    measurement.stop()
    return measurement


BLOCKING = {"publish": blocking_publish, "confirm": blocking_confirm,
            "consume": blocking_consume, "rpc": blocking_rpc}
SELECT = {"publish": select_publish, "confirm": select_confirm,
          "consume": select_consume, "rpc": select_rpc}
ARGUMENTS = {"publish": (int, int, str), "confirm": (int, int, int, str),
             "consume": (int, int, int, str), "rpc": (int, int), "codec": (int,)}


def parse(argv):
    """(face, mode, arguments) from the command line; the first argument is always N."""
    if argv[:1] == ["codec"]:
        face, mode, rest = None, "codec", argv[1:]
    elif len(argv) >= 2 and argv[0] in ("select", "blocking") and argv[1] in SELECT:
        face, mode, rest = argv[0], argv[1], argv[2:]
    else:
        raise Fail(USAGE)
    types = ARGUMENTS[mode]
    try:
        if len(rest) != len(types):
            raise ValueError
        arguments = [kind(value) for kind, value in zip(types, rest)]
    except ValueError:
        raise Fail(USAGE) from None
    if arguments[0] <= 0:
        raise Fail("N must be positive")
    if mode == "confirm" and arguments[2] <= 0:
        raise Fail("WINDOW must be positive")
    return face, mode, arguments


def main(argv):
    face, mode, arguments = parse(argv)
    if face is None:
        measurement, client = codec(*arguments), "pika"
    elif face == "blocking":
        workload = BLOCKING[mode]
        measurement = run_blocking(lambda channel, m: workload(channel, m, *arguments))
        client = "pika-blocking"
    else:
        workload = SELECT[mode]
        measurement = SelectRun(lambda run, channel: workload(run, channel, *arguments)).run()
        client = "pika-select"
    measurement.report(client, mode, arguments[0])


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except Fail as error:
        sys.exit(f"pika perf: {error}")
    except (pika.exceptions.AMQPError, OSError) as error:
        sys.exit(f"pika perf: {error!r}")
