/*
 * rabbitmq-c (librabbitmq 0.11) peer for Benchmarks/compare: the broker workloads of issue 5
 * done the way a C program would do them with this library, one connection, one channel.
 *
 *   perf publish N SIZE QUEUE            A: publish N messages, then one synchronous round trip
 *   perf confirm N SIZE WINDOW QUEUE     B: publish with confirms, at most WINDOW unconfirmed
 *   perf consume N PREFETCH MULTI QUEUE  C: consume N messages, ack with multiple every MULTI
 *   perf rpc N SIZE                      D: N sequential round trips (publish, consume it back)
 *
 * The broker: HARE_TEST_URL's host and port are not parsed here; AMQP_HOST / AMQP_PORT (default
 * 127.0.0.1:5672, guest/guest, vhost /). Prints one JSON object: messages, seconds, the
 * process's CPU seconds and peak RSS, and for rpc the latency percentiles in microseconds.
 * Exits 1 with a message on standard error when the broker refuses anything.
 */
#include <stdint.h>
#include <string.h>

#include "common.h"

static void close_connection(amqp_connection_state_t conn) {
    amqp_channel_close(conn, 1, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
}

static void publish(amqp_connection_state_t conn, const char *queue, amqp_bytes_t body) {
    amqp_basic_properties_t props;
    props._flags = 0;
    if (amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(queue), 0, 0, &props, body) != AMQP_STATUS_OK)
        die("basic.publish failed");
}

static void passive_declare(amqp_connection_state_t conn, const char *queue) {
    amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 1, 0, 0, 0, amqp_empty_table);
    check_reply(conn, "queue.declare (passive) refused");
}

int main(int argc, char **argv) {
    program_name = "rabbitmq-c perf";
    if (argc < 3) die("usage: perf publish|confirm|consume|rpc N ...");
    const char *mode = argv[1];
    long count = atol(argv[2]);
    if (count <= 0) die("N must be positive");
    amqp_connection_state_t conn = open_connection();
    double p50 = -1, p99 = -1;
    double cpu0, cpu1, start, seconds;
    long peak;
    usage_now(&cpu0, &peak);

    if (strcmp(mode, "publish") == 0 && argc == 5) {
        size_t size = (size_t)atol(argv[3]);
        const char *queue = argv[4];
        amqp_bytes_t body = {size, calloc(size ? size : 1, 1)};
        start = now_seconds();
        for (long i = 0; i < count; i++) publish(conn, queue, body);
        passive_declare(conn, queue);
        seconds = now_seconds() - start;
    } else if (strcmp(mode, "confirm") == 0 && argc == 6) {
        size_t size = (size_t)atol(argv[3]);
        long window = atol(argv[4]);
        const char *queue = argv[5];
        amqp_bytes_t body = {size, calloc(size ? size : 1, 1)};
        amqp_confirm_select(conn, 1);
        check_reply(conn, "confirm.select refused");
        start = now_seconds();
        long published = 0, confirmed = 0;
        while (confirmed < count) {
            while (published < count && published - confirmed < window) {
                publish(conn, queue, body);
                published++;
            }
            amqp_frame_t frame;
            amqp_maybe_release_buffers(conn);
            if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK) die("lost the connection");
            if (frame.frame_type != AMQP_FRAME_METHOD) continue;
            if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
                amqp_basic_ack_t *ack = frame.payload.method.decoded;
                confirmed = ack->multiple ? (long)ack->delivery_tag : confirmed + 1;
            } else if (frame.payload.method.id == AMQP_BASIC_NACK_METHOD) {
                die("the broker nacked a message");
            }
        }
        seconds = now_seconds() - start;
    } else if (strcmp(mode, "consume") == 0 && argc == 6) {
        int prefetch = atoi(argv[3]);
        long multi = atol(argv[4]);
        const char *queue = argv[5];
        amqp_basic_qos(conn, 1, 0, (uint16_t)prefetch, 0);
        check_reply(conn, "basic.qos refused");
        amqp_basic_consume(conn, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
        check_reply(conn, "basic.consume refused");
        start = now_seconds();
        for (long i = 1; i <= count; i++) {
            amqp_envelope_t envelope;
            amqp_maybe_release_buffers(conn);
            amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, NULL, 0);
            if (reply.reply_type != AMQP_RESPONSE_NORMAL) die("consume failed");
            if (multi <= 1 || i % multi == 0 || i == count)
                amqp_basic_ack(conn, 1, envelope.delivery_tag, multi > 1);
            amqp_destroy_envelope(&envelope);
        }
        seconds = now_seconds() - start;
    } else if (strcmp(mode, "rpc") == 0 && argc == 4) {
        size_t size = (size_t)atol(argv[3]);
        amqp_bytes_t body = {size, calloc(size ? size : 1, 1)};
        char queue[256];
        consume_own_queue(conn, queue);
        double *latencies = malloc(sizeof(double) * (size_t)count);
        start = now_seconds();
        for (long i = 0; i < count; i++) {
            double sent = now_seconds();
            publish(conn, queue, body);
            amqp_envelope_t envelope;
            amqp_maybe_release_buffers(conn);
            amqp_rpc_reply_t reply = amqp_consume_message(conn, &envelope, NULL, 0);
            if (reply.reply_type != AMQP_RESPONSE_NORMAL) die("consume failed");
            latencies[i] = (now_seconds() - sent) * 1e6;
            amqp_destroy_envelope(&envelope);
        }
        seconds = now_seconds() - start;
        percentiles(latencies, count, &p50, &p99);
    } else {
        die("usage: perf publish N SIZE QUEUE | confirm N SIZE WINDOW QUEUE | consume N PREFETCH MULTI QUEUE | rpc N SIZE");
    }
    usage_now(&cpu1, &peak);
    close_connection(conn);
    printf("{\"client\": \"rabbitmq-c\", \"mode\": \"%s\", \"messages\": %ld, \"seconds\": %.6f, \"cpu_seconds\": %.6f, "
           "\"peak_rss_bytes\": %ld, \"p50_us\": %.1f, \"p99_us\": %.1f}\n",
           mode, count, seconds, cpu1 - cpu0, peak, p50, p99);
    return 0;
}
