// The same codec benchmark against rabbitmq-c (Debian's librabbitmq-dev), for comparison.
//
// It does what librabbitmq does on its send and receive paths (amqp_send_frame_inner and
// amqp_handle_input): a 7-byte frame header, the 32-bit method number, amqp_encode_method or
// the class/weight/body-size prefix plus amqp_encode_properties, the end octet; decoding checks
// the frame header and end octet and calls amqp_decode_method / amqp_decode_properties into a
// pool that is recycled for every frame set (as the library recycles its decoding pool).
//
// Build: cc -O2 codec.c ../Sources/MallocCounter/MallocCounter.c -I../Sources/MallocCounter/include -lrabbitmq
// Usage: codec [--samples K] [--time-ms T] [--iterations N] [--filter TEXT] [--only NAME] [--tsv] [--dump]
// (the same options as codec-benchmark; --dump prints each scenario's frame set in hex and exits)

#define _GNU_SOURCE
#include <amqp.h>
#include <amqp_framing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "MallocCounter.h"

#define FRAME_MAX 131072
#define FRAME_END 0xCE

// MARK: - Big-endian helpers

static inline void put8(uint8_t *p, uint8_t v) { p[0] = v; }
static inline void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static inline void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)(v >> 32)); put32(p + 4, (uint32_t)v); }
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t get32(const uint8_t *p) { return ((uint32_t)get16(p) << 16) | get16(p + 2); }
static inline uint64_t get64(const uint8_t *p) { return ((uint64_t)get32(p) << 32) | get32(p + 4); }

static void fail(const char *what, int code) {
    fprintf(stderr, "%s failed: %d\n", what, code);
    exit(1);
}

// MARK: - Encoding (what amqp_send_frame_inner writes)

static size_t encode_method_frame(uint8_t *out, uint16_t channel, amqp_method_number_t id, void *decoded) {
    put8(out, AMQP_FRAME_METHOD);
    put16(out + 1, channel);
    put32(out + 7, id);
    amqp_bytes_t args = {FRAME_MAX - 12, out + 11};
    int size = amqp_encode_method(id, decoded, args);
    if (size < 0) fail("amqp_encode_method", size);
    uint32_t payload = (uint32_t)size + 4;
    put32(out + 3, payload);
    put8(out + 7 + payload, FRAME_END);
    return 8 + payload;
}

static size_t encode_content(uint8_t *out, uint16_t channel, amqp_basic_properties_t *properties, amqp_bytes_t body) {
    put8(out, AMQP_FRAME_HEADER);
    put16(out + 1, channel);
    put16(out + 7, AMQP_BASIC_CLASS);
    put16(out + 9, 0);
    put64(out + 11, body.len);
    amqp_bytes_t encoded = {FRAME_MAX - 20, out + 19};
    int size = amqp_encode_properties(AMQP_BASIC_CLASS, properties, encoded);
    if (size < 0) fail("amqp_encode_properties", size);
    uint32_t payload = (uint32_t)size + 12;
    put32(out + 3, payload);
    put8(out + 7 + payload, FRAME_END);
    size_t written = 8 + payload;

    uint8_t *frame = out + written;
    put8(frame, AMQP_FRAME_BODY);
    put16(frame + 1, channel);
    put32(frame + 3, (uint32_t)body.len);
    memcpy(frame + 7, body.bytes, body.len);
    put8(frame + 7 + body.len, FRAME_END);
    return written + 8 + body.len;
}

// MARK: - Decoding (what amqp_handle_input does with a whole frame)

static void *volatile sink;

static size_t decode_frame(const uint8_t *in, size_t available, amqp_pool_t *pool) {
    if (available < 8) fail("decode: short frame", 0);
    uint8_t type = in[0];
    uint16_t channel = get16(in + 1);
    uint32_t payload = get32(in + 3);
    size_t frame_size = (size_t)payload + 8;
    if (frame_size > FRAME_MAX || frame_size > available) fail("decode: frame size", (int)payload);
    if (in[7 + payload] != FRAME_END) fail("decode: frame end", in[7 + payload]);
    (void)channel;
    void *decoded = NULL;
    switch (type) {
    case AMQP_FRAME_METHOD: {
        amqp_method_number_t id = get32(in + 7);
        amqp_bytes_t args = {payload - 4, (void *)(in + 11)};
        int result = amqp_decode_method(id, pool, args, &decoded);
        if (result < 0) fail("amqp_decode_method", result);
        break;
    }
    case AMQP_FRAME_HEADER: {
        uint16_t class_id = get16(in + 7);
        uint64_t body_size = get64(in + 11);
        (void)body_size;
        amqp_bytes_t properties = {payload - 12, (void *)(in + 19)};
        int result = amqp_decode_properties(class_id, pool, properties, &decoded);
        if (result < 0) fail("amqp_decode_properties", result);
        break;
    }
    case AMQP_FRAME_BODY:
        decoded = (void *)(in + 7);  // the body is used in place, as librabbitmq does
        break;
    default:
        fail("decode: frame type", type);
    }
    sink = decoded;
    return frame_size;
}

// MARK: - Scenarios

static amqp_table_entry_t header_entries[2];
static amqp_basic_properties_t properties;
static amqp_bytes_t body;
static amqp_basic_publish_t publish;
static amqp_basic_deliver_t deliver;
static amqp_table_entry_t capability_entries[10];
static amqp_table_entry_t server_entries[7];
static amqp_connection_start_t start;

static amqp_field_value_t utf8(const char *text) {
    amqp_field_value_t value;
    value.kind = AMQP_FIELD_KIND_UTF8;
    value.value.bytes = amqp_cstring_bytes(text);
    return value;
}

static void setup(void) {
    header_entries[0].key = amqp_cstring_bytes("x-trace");
    header_entries[0].value = utf8("a1b2c3d4");
    header_entries[1].key = amqp_cstring_bytes("x-origin");
    header_entries[1].value = utf8("hare-bench");
    memset(&properties, 0, sizeof properties);
    properties._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_HEADERS_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG;
    properties.content_type = amqp_cstring_bytes("application/json");
    properties.headers.num_entries = 2;
    properties.headers.entries = header_entries;
    properties.delivery_mode = 2;
    body = amqp_cstring_bytes("{\"n\":1234567890}");

    memset(&publish, 0, sizeof publish);
    publish.exchange = amqp_cstring_bytes("");
    publish.routing_key = amqp_cstring_bytes("hare.bench");

    memset(&deliver, 0, sizeof deliver);
    deliver.consumer_tag = amqp_cstring_bytes("amq.ctag-hzMV1oS8zYBn3BZc4ZxA9Q");
    deliver.delivery_tag = 42;
    deliver.exchange = amqp_cstring_bytes("");
    deliver.routing_key = amqp_cstring_bytes("hare.bench");

    static const char *capabilities[10] = {
        "publisher_confirms", "exchange_exchange_bindings", "basic.nack", "consumer_cancel_notify",
        "connection.blocked", "consumer_priorities", "authentication_failure_close", "per_consumer_qos",
        "direct_reply_to", "stream_queue",
    };
    for (int i = 0; i < 10; i++) {
        capability_entries[i].key = amqp_cstring_bytes(capabilities[i]);
        capability_entries[i].value.kind = AMQP_FIELD_KIND_BOOLEAN;
        capability_entries[i].value.value.boolean = 1;
    }
    server_entries[0].key = amqp_cstring_bytes("capabilities");
    server_entries[0].value.kind = AMQP_FIELD_KIND_TABLE;
    server_entries[0].value.value.table.num_entries = 10;
    server_entries[0].value.value.table.entries = capability_entries;
    server_entries[1].key = amqp_cstring_bytes("cluster_name");
    server_entries[1].value = utf8("rabbit@broker-1.example.internal");
    server_entries[2].key = amqp_cstring_bytes("copyright");
    server_entries[2].value = utf8("Copyright (c) 2007-2022 VMware, Inc. or its affiliates.");
    server_entries[3].key = amqp_cstring_bytes("information");
    server_entries[3].value = utf8("Licensed under the MPL 2.0. Website: https://rabbitmq.com");
    server_entries[4].key = amqp_cstring_bytes("platform");
    server_entries[4].value = utf8("Erlang/OTP 24.3.4.6");
    server_entries[5].key = amqp_cstring_bytes("product");
    server_entries[5].value = utf8("RabbitMQ");
    server_entries[6].key = amqp_cstring_bytes("version");
    server_entries[6].value = utf8("3.10.8");
    start.version_major = 0;
    start.version_minor = 9;
    start.server_properties.num_entries = 7;
    start.server_properties.entries = server_entries;
    start.mechanisms = amqp_cstring_bytes("AMQPLAIN PLAIN");
    start.locales = amqp_cstring_bytes("en_US");
}

typedef struct {
    const char *name;
    int frame_count;
    size_t (*encode)(uint8_t *out);
} scenario_t;

static size_t encode_publish(uint8_t *out) {
    size_t n = encode_method_frame(out, 1, AMQP_BASIC_PUBLISH_METHOD, &publish);
    return n + encode_content(out + n, 1, &properties, body);
}

static size_t encode_deliver(uint8_t *out) {
    size_t n = encode_method_frame(out, 1, AMQP_BASIC_DELIVER_METHOD, &deliver);
    return n + encode_content(out + n, 1, &properties, body);
}

static size_t encode_start(uint8_t *out) {
    return encode_method_frame(out, 0, AMQP_CONNECTION_START_METHOD, &start);
}

static const scenario_t scenarios[] = {
    {"a-publish", 3, encode_publish},
    {"b-deliver", 3, encode_deliver},
    {"c-connection-start", 1, encode_start},
};

// MARK: - Harness

static int samples = 7;
static uint64_t target_ns = 150000000;
static long fixed_iterations = 0;
static const char *filter = NULL;
static const char *only = NULL;
static int tsv = 0;
static int dump = 0;

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int compare_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count) {
    qsort(values, (size_t)count, sizeof *values, compare_double);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

enum mode { ENCODE, DECODE, BOTH };

static uint8_t work[FRAME_MAX];
static uint8_t encoded[FRAME_MAX];
static size_t encoded_size;
static amqp_pool_t pool;

static void run(const scenario_t *scenario, enum mode mode, long n) {
    for (long i = 0; i < n; i++) {
        if (mode != DECODE) scenario->encode(work);
        if (mode != ENCODE) {
            const uint8_t *in = mode == DECODE ? encoded : work;
            size_t offset = 0;
            for (int f = 0; f < scenario->frame_count; f++) offset += decode_frame(in + offset, encoded_size - offset, &pool);
            recycle_amqp_pool(&pool);
        }
    }
}

static void measure(const scenario_t *scenario, enum mode mode, const char *suffix) {
    char name[128];
    snprintf(name, sizeof name, "%s/%s", scenario->name, suffix);
    if (filter && !strstr(name, filter)) return;
    if (only && strcmp(name, only)) return;
    run(scenario, mode, 1000);
    long iterations = fixed_iterations;
    if (!iterations) {
        long probe = 1000;
        uint64_t elapsed;
        for (;;) {
            uint64_t t0 = now_ns();
            run(scenario, mode, probe);
            elapsed = now_ns() - t0;
            if (elapsed >= 10000000 || probe >= (1L << 30)) break;
            probe *= 4;
        }
        iterations = (long)((double)probe * (double)target_ns / (double)(elapsed ? elapsed : 1));
        if (iterations < 1000) iterations = 1000;
    }
    double times[64], allocations[64];
    for (int s = 0; s < samples; s++) {
        uint64_t m0 = hare_malloc_count();
        uint64_t t0 = now_ns();
        run(scenario, mode, iterations);
        uint64_t t1 = now_ns();
        uint64_t m1 = hare_malloc_count();
        times[s] = (double)(t1 - t0) / (double)iterations;
        allocations[s] = (double)(m1 - m0) / (double)iterations;
    }
    double ns = median(times, samples), allocs = median(allocations, samples);
    if (tsv)
        printf("rabbitmq-c\t%s\t%.1f\t%.2f\n", name, ns, allocs);
    else
        printf("%-34s %10.1f %10.2f %11ld\n", name, ns, allocs, iterations);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--samples") && i + 1 < argc) samples = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--time-ms") && i + 1 < argc) target_ns = (uint64_t)atol(argv[++i]) * 1000000u;
        else if (!strcmp(argv[i], "--iterations") && i + 1 < argc) fixed_iterations = atol(argv[++i]);
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "--tsv")) tsv = 1;
        else if (!strcmp(argv[i], "--dump")) dump = 1;
        else {
            fprintf(stderr, "usage: %s [--samples K] [--time-ms T] [--iterations N] [--filter TEXT] [--only NAME] [--tsv] [--dump]\n", argv[0]);
            return 2;
        }
    }
    if (samples < 1) samples = 1;
    if (samples > 64) samples = 64;
    setup();
    init_amqp_pool(&pool, 4096);
    if (dump) {
        for (size_t s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
            size_t size = scenarios[s].encode(encoded);
            printf("%s\t", scenarios[s].name);
            for (size_t i = 0; i < size; i++) printf("%02x", encoded[i]);
            printf("\n");
        }
        return 0;
    }
    if (!hare_malloc_counter_active()) fprintf(stderr, "warning: malloc counter is not active; allocations will read 0\n");
    if (!tsv) printf("%-34s %10s %10s %11s\n", "benchmark", "ns/op", "allocs/op", "iterations");
    for (size_t s = 0; s < sizeof scenarios / sizeof scenarios[0]; s++) {
        const scenario_t *scenario = &scenarios[s];
        encoded_size = scenario->encode(encoded);
        measure(scenario, ENCODE, "encode");
        measure(scenario, DECODE, "decode");
        measure(scenario, BOTH, "encode+decode");
    }
    empty_amqp_pool(&pool);
    return 0;
}
