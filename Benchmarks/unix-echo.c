/*
 * Baseline for `system.ping`: a raw C echo over a Unix socket with the same framing
 * (4-byte big-endian length + payload). `unix-echo serve PATH` echoes every frame back
 * (one thread per connection); `unix-echo load PATH CONNECTIONS SECONDS` sends a ping-sized
 * frame and waits for its echo, in a loop per connection, and prints round trips per second.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int read_full(int fd, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0) return -1;
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n) {
    size_t sent = 0;
    while (sent < n) {
        ssize_t w = send(fd, (const char *)buf + sent, n - sent, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        sent += (size_t)w;
    }
    return 0;
}

static void *echo_connection(void *arg) {
    int fd = (int)(intptr_t)arg;
    char buf[65536 + 4];
    for (;;) {
        uint32_t len;
        if (read_full(fd, &len, 4) < 0) break;
        uint32_t n = ntohl(len);
        if (n > 65536 || read_full(fd, buf + 4, n) < 0) break;
        memcpy(buf, &len, 4);
        if (write_full(fd, buf, n + 4) < 0) break;
    }
    close(fd);
    return NULL;
}

static struct sockaddr_un address(const char *path) {
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    strncpy(a.sun_path, path, sizeof a.sun_path - 1);
    return a;
}

static int serve(const char *path) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = address(path);
    unlink(path);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 1024) < 0) { perror("bind"); return 1; }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        pthread_t t;
        pthread_create(&t, NULL, echo_connection, (void *)(intptr_t)c);
        pthread_detach(t);
    }
}

struct load_arg { const char *path; double seconds; long count; };

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *load_connection(void *p) {
    struct load_arg *arg = p;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = address(arg->path);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); return NULL; }
    const char *ping = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.ping\"}";
    uint32_t n = (uint32_t)strlen(ping);
    char frame[256], reply[65536];
    uint32_t len = htonl(n);
    memcpy(frame, &len, 4);
    memcpy(frame + 4, ping, n);
    double end = now() + arg->seconds;
    while (now() < end) {
        uint32_t rlen;
        if (write_full(fd, frame, n + 4) < 0 || read_full(fd, &rlen, 4) < 0) break;
        if (read_full(fd, reply, ntohl(rlen)) < 0) break;
        arg->count++;
    }
    close(fd);
    return NULL;
}

static int load(const char *path, int connections, double seconds) {
    pthread_t threads[256];
    struct load_arg args[256];
    if (connections > 256) connections = 256;
    for (int i = 0; i < connections; i++) {
        args[i] = (struct load_arg){path, seconds, 0};
        pthread_create(&threads[i], NULL, load_connection, &args[i]);
    }
    long total = 0;
    for (int i = 0; i < connections; i++) { pthread_join(threads[i], NULL); total += args[i].count; }
    printf("%ld round trips, %.0f/s\n", total, total / seconds);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "serve") == 0) return serve(argv[2]);
    if (argc == 5 && strcmp(argv[1], "load") == 0) return load(argv[2], atoi(argv[3]), atof(argv[4]));
    fprintf(stderr, "usage: unix-echo serve PATH | unix-echo load PATH CONNECTIONS SECONDS\n");
    return 2;
}
