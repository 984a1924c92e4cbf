/*
 * The C reference echo server for ffmreactor's benchmarks: one thread, one epoll set,
 * level-triggered, one read of up to 64 KiB per readiness and a direct write back, the
 * unwritten rest queued per connection with EPOLLOUT until it drains. This is the shape of
 * Redis' ae loop and of ffmreactor's level mode, written as plainly as C allows, so it is the
 * practical floor for the user and system CPU one round trip can cost.
 *
 * Usage: echo_epoll [port]   (port 0 or absent: any free port on 127.0.0.1)
 * Prints "ready port=<port> pid=<pid> impl=c-epoll" once ready, then serves until SIGINT or
 * SIGTERM, or until its stdin reaches end of file (so a bench that dies leaves no server behind;
 * a stdin that cannot be watched, such as /dev/null, is ignored). A "stats" line on stdin is
 * answered with its counters, named as ffmreactor's loop names them ("stats waits=.. events=..
 * reads=.. writes=.. eagains=.. ctl=.. bytesIn=.."): one add per system call, so the bench shows
 * the C floor's calls per round trip beside the loop's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (64 * 1024)
#define MAX_EVENTS 1024

struct conn {
    int fd;
    char *out;          /* queued output, NULL if none */
    size_t out_start, out_end, out_cap;
};

static volatile sig_atomic_t stop;
/* Counted as the ffmreactor loop counts: epoll_wait calls, connection events, read and write
   calls (EAGAIN included, and counted again in eagains), epoll_ctl calls, bytes read. */
static unsigned long long n_waits, n_events, n_reads, n_writes, n_eagains, n_ctl, n_bytes_in;
static void on_signal(int sig) { (void) sig; stop = 1; }

static struct conn **conns;
static int conns_cap;

static struct conn *conn_of(int fd) {
    if (fd >= conns_cap) {
        int n = conns_cap ? conns_cap : 1024;
        while (n <= fd) n *= 2;
        conns = realloc(conns, (size_t) n * sizeof *conns);
        memset(conns + conns_cap, 0, (size_t) (n - conns_cap) * sizeof *conns);
        conns_cap = n;
    }
    return conns[fd];
}

static void close_conn(int ep, struct conn *c) {
    epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
    n_ctl++;
    close(c->fd);
    conns[c->fd] = NULL;
    free(c->out);
    free(c);
}

static void set_interest(int ep, struct conn *c, unsigned events) {
    struct epoll_event ev = { .events = events, .data.fd = c->fd };
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    n_ctl++;
}

/* Queues buf[0, len) after what is already queued. */
static void enqueue(struct conn *c, const char *buf, size_t len) {
    size_t pending = c->out_end - c->out_start;
    if (c->out_end + len > c->out_cap) {
        if (pending + len <= c->out_cap) {
            memmove(c->out, c->out + c->out_start, pending);
        } else {
            size_t cap = c->out_cap ? c->out_cap : BUF_SIZE;
            while (cap < pending + len) cap *= 2;
            char *n = malloc(cap);
            if (pending) memcpy(n, c->out + c->out_start, pending);
            free(c->out);
            c->out = n;
            c->out_cap = cap;
        }
        c->out_start = 0;
        c->out_end = pending;
    }
    memcpy(c->out + c->out_end, buf, len);
    c->out_end += len;
}

/* Returns -1 if the connection failed. */
static int flush(int ep, struct conn *c) {
    while (c->out_start < c->out_end) {
        ssize_t w = write(c->fd, c->out + c->out_start, c->out_end - c->out_start);
        n_writes++;
        if (w > 0) { c->out_start += (size_t) w; continue; }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && errno == EAGAIN) { n_eagains++; return 0; }
        return -1;
    }
    c->out_start = c->out_end = 0;
    set_interest(ep, c, EPOLLIN | EPOLLRDHUP);
    return 0;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    /* "spin": poll with a zero timeout and never sleep (the low-latency peer of --wait spin). */
    int spin = argc > 2 && strcmp(argv[2], "spin") == 0;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((unsigned short) port) };
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen(lfd, 1024) < 0) {
        perror("bind/listen");
        return 1;
    }
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr *) &addr, &alen);

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

    struct epoll_event sev = { .events = EPOLLIN, .data.fd = 0 };
    int watch_stdin = epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) == 0;

    printf("ready port=%d pid=%d impl=c-epoll%s\n", ntohs(addr.sin_port), (int) getpid(), spin ? "-spin" : "");
    fflush(stdout);

    static char buf[BUF_SIZE];
    static struct epoll_event events[MAX_EVENTS];
    while (!stop) {
        int n = epoll_wait(ep, events, MAX_EVENTS, spin ? 0 : -1);
        n_waits++;
        if (n > 0) n_events += (unsigned long long) n;
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            unsigned re = events[i].events;
            if (fd == 0 && watch_stdin) {
                char line[256];
                ssize_t r = read(0, line, sizeof line);
                if (r <= 0) { stop = 1; break; }
                n_events--; /* not a connection's */
                if (memchr(line, 's', (size_t) r)) {
                    printf("stats waits=%llu events=%llu reads=%llu writes=%llu eagains=%llu ctl=%llu bytesIn=%llu\n",
                           n_waits, n_events, n_reads, n_writes, n_eagains, n_ctl, n_bytes_in);
                    fflush(stdout);
                }
                continue;
            }
            if (fd == lfd) {
                n_events--;
                for (int k = 0; k < 64; k++) {
                    int c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (c < 0) break;
                    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn_of(c);
                    struct conn *nc = calloc(1, sizeof *nc);
                    nc->fd = c;
                    conns[c] = nc;
                    struct epoll_event cev = { .events = EPOLLIN | EPOLLRDHUP, .data.fd = c };
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                    n_ctl++;
                }
                continue;
            }
            struct conn *c = conn_of(fd);
            if (c == NULL) continue;
            if ((re & EPOLLOUT) && flush(ep, c) < 0) { close_conn(ep, c); continue; }
            if (!(re & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))) continue;
            if (c->out_end > c->out_start) continue; /* back-pressure: read again once drained */
            ssize_t r = read(fd, buf, sizeof buf);
            n_reads++;
            if (r > 0) {
                n_bytes_in += (unsigned long long) r;
                ssize_t w = write(fd, buf, (size_t) r);
                n_writes++;
                if (w < 0 && errno == EAGAIN) n_eagains++;
                if (w < 0 && errno != EAGAIN && errno != EINTR) { close_conn(ep, c); continue; }
                if (w < 0) w = 0;
                if (w < r) {
                    enqueue(c, buf + w, (size_t) (r - w));
                    set_interest(ep, c, EPOLLOUT);
                }
            } else if (r < 0 && errno == EAGAIN) {
                n_eagains++;
            } else if (r == 0 || errno != EINTR) {
                close_conn(ep, c);
            }
        }
    }
    return 0;
}
