/*
 * What perf.c and ceiling.c share: the clock, the process's CPU and peak RSS, failing with a
 * message, the connection (librabbitmq, guest/guest on AMQP_HOST:AMQP_PORT, default
 * 127.0.0.1:5672, frame_max 131072, channel 1 open), the round trips' queue and percentiles.
 * Each program sets `program_name` (the prefix of its error messages) first thing in main.
 */
#ifndef HARE_BENCHMARKS_RABBITMQ_C_COMMON_H
#define HARE_BENCHMARKS_RABBITMQ_C_COMMON_H

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#define FRAME_MAX 131072

static const char *program_name = "perf";

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage_now(double *cpu, long *peak_bytes) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    *cpu = (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
           usage.ru_stime.tv_usec / 1e6;
    *peak_bytes = usage.ru_maxrss * 1024L;
}

static void die(const char *what) {
    fprintf(stderr, "%s: %s\n", program_name, what);
    exit(1);
}

static void check_reply(amqp_connection_state_t conn, const char *what) {
    amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn);
    if (reply.reply_type != AMQP_RESPONSE_NORMAL) die(what);
}

static amqp_connection_state_t open_connection(void) {
    const char *host = getenv("AMQP_HOST") ? getenv("AMQP_HOST") : "127.0.0.1";
    int port = getenv("AMQP_PORT") ? atoi(getenv("AMQP_PORT")) : 5672;
    amqp_connection_state_t conn = amqp_new_connection();
    amqp_socket_t *socket = amqp_tcp_socket_new(conn);
    if (!socket || amqp_socket_open(socket, host, port) != AMQP_STATUS_OK) die("cannot connect");
    amqp_rpc_reply_t login = amqp_login(conn, "/", 0, FRAME_MAX, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest");
    if (login.reply_type != AMQP_RESPONSE_NORMAL) die("login refused");
    amqp_channel_open(conn, 1);
    check_reply(conn, "channel.open refused");
    return conn;
}

/// D's set-up: a server-named, exclusive, auto-delete queue that the connection consumes with
/// auto-ack; its name goes to `queue` (256 bytes).
static void consume_own_queue(amqp_connection_state_t conn, char queue[256]) {
    amqp_queue_declare_ok_t *ok = amqp_queue_declare(conn, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
    check_reply(conn, "queue.declare refused");
    snprintf(queue, 256, "%.*s", (int)ok->queue.len, (const char *)ok->queue.bytes);
    amqp_basic_consume(conn, 1, amqp_cstring_bytes(queue), amqp_empty_bytes, 0, 1, 0, amqp_empty_table);
    check_reply(conn, "basic.consume refused");
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/// Sorts `latencies` and picks their 50th and 99th percentiles.
static void percentiles(double *latencies, long count, double *p50, double *p99) {
    qsort(latencies, (size_t)count, sizeof(double), compare_doubles);
    *p50 = latencies[(size_t)(count * 0.50)];
    *p99 = latencies[(size_t)(count * 0.99 < count - 1 ? count * 0.99 : count - 1)];
}

#endif
