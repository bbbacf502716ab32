/*
 * The broker's ceiling for Benchmarks/compare: the broker workloads of issue 5 done by a client
 * that costs as little as a client can, so that its figures are what the broker (and the
 * kernel, and this machine) allow any client.
 *
 *   ceiling publish N SIZE QUEUE            A: publish N messages, then one synchronous round trip
 *   ceiling confirm N SIZE WINDOW QUEUE     B: publish with confirms, at most WINDOW unconfirmed
 *   ceiling consume N PREFETCH MULTI QUEUE  C: consume N messages, ack with multiple every MULTI
 *   ceiling rpc N SIZE                      D: N sequential round trips (publish, consume it back)
 *
 * librabbitmq opens the connection and does the set-up that gets a reply (login, channel.open,
 * basic.qos, confirm.select, the round trip's queue and consumer). Everything timed is raw I/O
 * on the same socket: publishes are frame sets encoded once and copied, written in large
 * writes; what the broker sends is read into one large buffer and scanned, each frame's header
 * and end octet checked, and only the fields the workload needs read (delivery tags, ack tags).
 * No properties, no strings, no tables are decoded. A real client cannot do less, so where this
 * one is not 1.2x faster than another client, no client can be.
 *
 * The broker: AMQP_HOST / AMQP_PORT (default 127.0.0.1:5672, guest/guest, vhost /). Prints one
 * JSON object like rabbitmq-c/perf.c's, with "client": "ceiling". Exits 1 with a message on
 * standard error when the broker refuses anything or closes the channel.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define FRAME_END 0xCE

// MARK: - Encoding

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static uint32_t get32(const uint8_t *p) { return ((uint32_t)get16(p) << 16) | get16(p + 2); }
static uint64_t get64(const uint8_t *p) { return ((uint64_t)get32(p) << 32) | get32(p + 4); }

/// Writes a frame of `type` on channel 1 around `payload_size` bytes already at out + 7;
/// returns the frame's whole size.
static size_t close_frame(uint8_t *out, uint8_t type, size_t payload_size) {
    out[0] = type;
    put16(out + 1, 1);
    put32(out + 3, (uint32_t)payload_size);
    out[7 + payload_size] = FRAME_END;
    return payload_size + 8;
}

/// Writes the ids of a method and its first argument, the `reserved-1` short every method
/// here starts with; returns where the next argument goes.
static uint8_t *start_method(uint8_t *out, uint16_t class_id, uint16_t method_id) {
    uint8_t *p = out + 7;
    put16(p, class_id); put16(p + 2, method_id); put16(p + 4, 0);
    return p + 6;
}

/// Writes `text` as a shortstr; returns where the next argument goes.
static uint8_t *put_shortstr(uint8_t *p, const char *text) {
    size_t length = strlen(text);
    if (length > 255) die("a name over 255 bytes");
    p[0] = (uint8_t)length;
    memcpy(p + 1, text, length);
    return p + 1 + length;
}

/// basic.publish to the default exchange with routing key `queue`, a header frame without
/// properties and one body frame of `size` zero bytes: what perf.c's publish writes.
static size_t encode_publish(uint8_t *out, const char *queue, size_t size) {
    if (size + 8 > FRAME_MAX) die("a body over frame_max");
    uint8_t *p = put_shortstr(put_shortstr(start_method(out, 60, 40), ""), queue);
    *p++ = 0;                                           // mandatory, immediate
    size_t written = close_frame(out, 1, (size_t)(p - out - 7));

    uint8_t *header = out + written;
    put16(header + 7, 60); put16(header + 9, 0); put64(header + 11, size); put16(header + 19, 0);
    written += close_frame(header, 2, 14);

    uint8_t *body = out + written;
    memset(body + 7, 0, size);
    written += close_frame(body, 3, size);
    return written;
}

static size_t encode_ack(uint8_t *out, uint64_t tag, int multiple) {
    put16(out + 7, 60); put16(out + 9, 80); put64(out + 11, tag);
    out[19] = multiple ? 1 : 0;
    return close_frame(out, 1, 13);
}

/// basic.consume of `queue` with manual acks and a consumer tag the broker chooses.
static size_t encode_consume(uint8_t *out, const char *queue) {
    uint8_t *p = put_shortstr(put_shortstr(start_method(out, 60, 20), queue), "");
    *p++ = 0;                                           // no-local, no-ack, exclusive, no-wait: off
    put32(p, 0);                                        // arguments: empty table
    return close_frame(out, 1, (size_t)(p + 4 - out - 7));
}

static size_t encode_passive_declare(uint8_t *out, const char *queue) {
    uint8_t *p = put_shortstr(start_method(out, 50, 10), queue);
    *p++ = 1;                                           // passive
    put32(p, 0);                                        // arguments: empty table
    return close_frame(out, 1, (size_t)(p + 4 - out - 7));
}

static size_t encode_connection_close(uint8_t *out) {
    put16(out + 7, 10); put16(out + 9, 50); put16(out + 11, 200);
    out[13] = 0;                                        // reply text ""
    put16(out + 14, 0); put16(out + 16, 0);
    size_t size = close_frame(out, 1, 11);
    put16(out + 1, 0);                                  // on channel 0
    return size;
}

// MARK: - Raw socket I/O

static void write_all(int fd, const uint8_t *bytes, size_t count) {
    while (count > 0) {
        ssize_t sent = write(fd, bytes, count);
        if (sent < 0) {
            if (errno == EINTR) continue;
            die("write failed");
        }
        bytes += sent;
        count -= (size_t)sent;
    }
}

/// What the broker sent and has not been looked at yet.
typedef struct {
    int fd;
    uint8_t *bytes;
    size_t capacity, start, end;
} reader_t;

/// One frame: its type, channel, payload and, for a method frame, the class and method ids.
typedef struct {
    uint8_t type;
    uint16_t channel;
    const uint8_t *payload;
    uint32_t size;
    uint16_t class_id, method_id;
} frame_t;

/// Reads more from the socket; blocks until something arrives.
static void fill(reader_t *reader) {
    if (reader->start == reader->end) {
        reader->start = reader->end = 0;
    } else if (reader->capacity - reader->end < FRAME_MAX + 8) {
        memmove(reader->bytes, reader->bytes + reader->start, reader->end - reader->start);
        reader->end -= reader->start;
        reader->start = 0;
    }
    for (;;) {
        ssize_t got = read(reader->fd, reader->bytes + reader->end, reader->capacity - reader->end);
        if (got > 0) {
            reader->end += (size_t)got;
            return;
        }
        if (got < 0 && errno == EINTR) continue;
        die(got == 0 ? "the broker closed the connection" : "read failed");
    }
}

/// The next whole frame if one is buffered (1), or 0 when more bytes are needed. Dies on a
/// malformed frame or when the broker closes the channel or the connection.
static int next_frame(reader_t *reader, frame_t *frame) {
    size_t available = reader->end - reader->start;
    if (available < 7) return 0;
    const uint8_t *p = reader->bytes + reader->start;
    uint32_t size = get32(p + 3);
    if ((size_t)size + 8 > FRAME_MAX) die("a frame over frame_max");
    if (available < (size_t)size + 8) return 0;
    if (p[7 + size] != FRAME_END) die("a frame without its end octet");
    frame->type = p[0];
    frame->channel = get16(p + 1);
    frame->payload = p + 7;
    frame->size = size;
    frame->class_id = frame->method_id = 0;
    if (frame->type == 1) {
        if (size < 4) die("a method frame without ids");
        frame->class_id = get16(p + 7);
        frame->method_id = get16(p + 9);
        if ((frame->class_id == 20 || frame->class_id == 10) && frame->method_id == 40 && size >= 7) {
            fprintf(stderr, "%s: the broker closed the %s: %u %.*s\n", program_name,
                    frame->class_id == 20 ? "channel" : "connection", get16(p + 11),
                    (int)(size >= 7u + p[13] ? p[13] : 0), (const char *)p + 14);
            exit(1);
        }
    }
    reader->start += (size_t)size + 8;
    return 1;
}

/// Waits for the method `class_id.method_id`, passing over anything else.
static void await_method(reader_t *reader, uint16_t class_id, uint16_t method_id) {
    frame_t frame;
    for (;;) {
        while (next_frame(reader, &frame)) {
            if (frame.type == 1 && frame.class_id == class_id && frame.method_id == method_id) return;
        }
        fill(reader);
    }
}

// MARK: - Connection

/// The socket, blocking, once librabbitmq has nothing buffered (every set-up step it did was a
/// round trip, and nothing else was asked for yet).
static int raw_socket(amqp_connection_state_t conn) {
    if (amqp_data_in_buffer(conn) || amqp_frames_enqueued(conn)) die("librabbitmq holds unread frames");
    int fd = amqp_get_sockfd(conn);
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) die("cannot make the socket blocking");
    return fd;
}

static void close_raw(reader_t *reader, amqp_connection_state_t conn) {
    uint8_t frame[32];
    write_all(reader->fd, frame, encode_connection_close(frame));
    await_method(reader, 10, 51);
    amqp_destroy_connection(conn);
}

// MARK: - Workloads

/// A: every publish from one buffer of encoded frame sets, in writes of about 256 KiB.
static double run_publish(reader_t *reader, long count, size_t size, const char *queue) {
    uint8_t one[FRAME_MAX + 512];
    size_t set = encode_publish(one, queue, size);
    long per_chunk = (long)((256 * 1024) / set) + 1;
    uint8_t *chunk = malloc(set * (size_t)per_chunk);
    if (!chunk) die("out of memory");
    for (long i = 0; i < per_chunk; i++) memcpy(chunk + set * (size_t)i, one, set);
    uint8_t declare[300];
    size_t declare_size = encode_passive_declare(declare, queue);
    double start = now_seconds();
    for (long left = count; left > 0;) {
        long now = left < per_chunk ? left : per_chunk;
        write_all(reader->fd, chunk, set * (size_t)now);
        left -= now;
    }
    write_all(reader->fd, declare, declare_size);
    await_method(reader, 50, 11);
    double seconds = now_seconds() - start;
    free(chunk);
    return seconds;
}

/// B: the window refilled in one write whenever confirms arrive.
static double run_confirm(reader_t *reader, long count, size_t size, long window, const char *queue) {
    uint8_t one[FRAME_MAX + 512];
    size_t set = encode_publish(one, queue, size);
    uint8_t *chunk = malloc(set * (size_t)window);
    if (!chunk) die("out of memory");
    for (long i = 0; i < window; i++) memcpy(chunk + set * (size_t)i, one, set);
    double start = now_seconds();
    long published = 0, confirmed = 0;
    frame_t frame;
    while (confirmed < count) {
        long room = window - (published - confirmed);
        if (room > count - published) room = count - published;
        if (room > 0) {
            write_all(reader->fd, chunk, set * (size_t)room);
            published += room;
        }
        fill(reader);
        while (next_frame(reader, &frame)) {
            if (frame.type != 1 || frame.class_id != 60) continue;
            if (frame.method_id == 120) die("the broker nacked a message");
            if (frame.method_id != 80 || frame.size < 13) continue;
            uint64_t tag = get64(frame.payload + 4);
            confirmed = (frame.payload[12] & 1) ? (long)tag : confirmed + 1;
        }
    }
    double seconds = now_seconds() - start;
    free(chunk);
    return seconds;
}

/// C: deliveries counted as their bodies complete; the acks of what one read brought go out
/// in one write before the next read.
static double run_consume(reader_t *reader, long count, long multi, const char *queue) {
    uint8_t request[300];
    write_all(reader->fd, request, encode_consume(request, queue));
    await_method(reader, 60, 21);
    uint8_t acks[4096];
    size_t pending = 0;
    long received = 0;
    uint64_t tag = 0, body_left = 0;
    frame_t frame;
    double start = now_seconds();
    while (received < count) {
        while (received < count && next_frame(reader, &frame)) {
            int complete = 0;
            if (frame.type == 1 && frame.class_id == 60 && frame.method_id == 60 && frame.size >= 5) {
                size_t tag_at = 5 + frame.payload[4];  // after the ids and the consumer tag
                if (frame.size < tag_at + 8) die("a short basic.deliver");
                tag = get64(frame.payload + tag_at);
            } else if (frame.type == 2 && frame.size >= 12) {
                body_left = get64(frame.payload + 4);
                complete = body_left == 0;
            } else if (frame.type == 3) {
                body_left -= frame.size < body_left ? frame.size : body_left;
                complete = body_left == 0;
            }
            if (!complete) continue;
            received++;
            if (multi <= 1 || received % multi == 0 || received == count) {
                if (pending + 32 > sizeof acks) {
                    write_all(reader->fd, acks, pending);
                    pending = 0;
                }
                pending += encode_ack(acks + pending, tag, multi > 1);
            }
        }
        if (pending) {
            write_all(reader->fd, acks, pending);
            pending = 0;
        }
        if (received < count) fill(reader);
    }
    return now_seconds() - start;
}

/// D: one encoded publish written, then frames read until its delivery's body is in.
static double run_rpc(reader_t *reader, long count, size_t size, const char *queue, double *latencies) {
    uint8_t one[FRAME_MAX + 512];
    size_t set = encode_publish(one, queue, size);
    frame_t frame;
    double start = now_seconds();
    for (long i = 0; i < count; i++) {
        double sent = now_seconds();
        write_all(reader->fd, one, set);
        int delivered = 0;
        uint64_t body_left = 0;
        while (!delivered) {
            while (!delivered && next_frame(reader, &frame)) {
                if (frame.type == 2 && frame.size >= 12) {
                    body_left = get64(frame.payload + 4);
                    delivered = body_left == 0;
                } else if (frame.type == 3) {
                    body_left -= frame.size < body_left ? frame.size : body_left;
                    delivered = body_left == 0;
                }
            }
            if (!delivered) fill(reader);
        }
        latencies[i] = (now_seconds() - sent) * 1e6;
    }
    return now_seconds() - start;
}

int main(int argc, char **argv) {
    const char *usage =
        "usage: ceiling publish N SIZE QUEUE | confirm N SIZE WINDOW QUEUE | consume N PREFETCH MULTI QUEUE | rpc N SIZE";
    program_name = "ceiling";
    if (argc < 3) die(usage);
    const char *mode = argv[1];
    long count = atol(argv[2]);
    if (count <= 0) die("N must be positive");
    amqp_connection_state_t conn = open_connection();
    reader_t reader = {0, malloc(4 * FRAME_MAX), 4 * FRAME_MAX, 0, 0};
    if (!reader.bytes) die("out of memory");
    double p50 = -1, p99 = -1;
    double cpu0, cpu1, seconds;
    long peak;

    if (strcmp(mode, "publish") == 0 && argc == 5) {
        reader.fd = raw_socket(conn);
        usage_now(&cpu0, &peak);
        seconds = run_publish(&reader, count, (size_t)atol(argv[3]), argv[4]);
    } else if (strcmp(mode, "confirm") == 0 && argc == 6) {
        long window = atol(argv[4]);
        if (window <= 0) die("WINDOW must be positive");
        amqp_confirm_select(conn, 1);
        check_reply(conn, "confirm.select refused");
        reader.fd = raw_socket(conn);
        usage_now(&cpu0, &peak);
        seconds = run_confirm(&reader, count, (size_t)atol(argv[3]), window, argv[5]);
    } else if (strcmp(mode, "consume") == 0 && argc == 6) {
        amqp_basic_qos(conn, 1, 0, (uint16_t)atoi(argv[3]), 0);
        check_reply(conn, "basic.qos refused");
        reader.fd = raw_socket(conn);
        usage_now(&cpu0, &peak);
        seconds = run_consume(&reader, count, atol(argv[4]), argv[5]);
    } else if (strcmp(mode, "rpc") == 0 && argc == 4) {
        char queue[256];
        consume_own_queue(conn, queue);
        double *latencies = malloc(sizeof(double) * (size_t)count);
        if (!latencies) die("out of memory");
        reader.fd = raw_socket(conn);
        usage_now(&cpu0, &peak);
        seconds = run_rpc(&reader, count, (size_t)atol(argv[3]), queue, latencies);
        percentiles(latencies, count, &p50, &p99);
        free(latencies);
    } else {
        die(usage);
    }
    usage_now(&cpu1, &peak);
    close_raw(&reader, conn);
    printf("{\"client\": \"ceiling\", \"mode\": \"%s\", \"messages\": %ld, \"seconds\": %.6f, \"cpu_seconds\": %.6f, "
           "\"peak_rss_bytes\": %ld, \"p50_us\": %.1f, \"p99_us\": %.1f}\n",
           mode, count, seconds, cpu1 - cpu0, peak, p50, p99);
    return 0;
}
