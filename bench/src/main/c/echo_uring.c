/*
 * The C io_uring echo server for ffmreactor's benchmarks (liburing): one thread, one ring set up
 * SINGLE_ISSUER|DEFER_TASKRUN where the kernel takes it, a multishot accept, one multishot recv per
 * connection picking from a provided buffer ring, and a send of each filled buffer straight back.
 * Sends of a connection go out one at a time in arrival order (a short send sends its rest first);
 * a buffer returns to the ring once its bytes are sent. The completion-model peer of echo_epoll.c.
 *
 * Usage: echo_uring [port]   (port 0 or absent: any free port on 127.0.0.1)
 * Prints "ready port=<port> pid=<pid> impl=c-uring" once ready, then serves until SIGINT or
 * SIGTERM, or until its stdin reaches end of file (a stdin epoll cannot watch, such as /dev/null,
 * is ignored, as in echo_epoll.c). A "stats" line on stdin is answered with "stats none".
 * Build: gcc -O2 echo_uring.c -luring (liburing 2.3 or newer; kernel 6.0 or newer).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif

#ifndef NBUF
#define NBUF 2048          /* provided buffers (a power of two) */
#endif
#ifndef BUF_SIZE
#define BUF_SIZE (16 * 1024)
#endif
#define BGID 1

enum kind { K_ACCEPT = 1, K_RECV, K_SEND, K_STDIN };

/* user_data: kind in bits 56-63, buffer id in 32-47, fd in 0-31. */
static uint64_t ud(enum kind k, int fd, int bid) {
    return ((uint64_t) k << 56) | ((uint64_t) (uint16_t) bid << 32) | (uint32_t) fd;
}

struct conn {
    int open;
    int closing;        /* recv ended: close once the queued sends are done */
    int sending;        /* a send is in flight for the queue's head */
    int rearm;          /* the multishot recv ended with ENOBUFS: arm again after a recycle */
    int head, tail;     /* FIFO of buffer ids to send, linked through next[] (-1: empty) */
    unsigned sent;      /* bytes of the head buffer already sent */
};

static struct io_uring ring;
static struct io_uring_buf_ring *br;
static char *bufs;
static int next_bid[NBUF];
static unsigned buf_len[NBUF];
static struct conn *conns;
static int conns_cap;
static int lfd;
static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void) sig; stop = 1; }

static struct io_uring_sqe *sqe(void) {
    struct io_uring_sqe *s = io_uring_get_sqe(&ring);
    if (s == NULL) {
        io_uring_submit(&ring);
        s = io_uring_get_sqe(&ring);
    }
    return s;
}

static struct conn *conn_of(int fd) {
    if (fd >= conns_cap) {
        int n = conns_cap ? conns_cap : 1024;
        while (n <= fd) n *= 2;
        conns = realloc(conns, (size_t) n * sizeof *conns);
        memset(conns + conns_cap, 0, (size_t) (n - conns_cap) * sizeof *conns);
        conns_cap = n;
    }
    return &conns[fd];
}

static void recycle(int bid) {
    io_uring_buf_ring_add(br, bufs + (size_t) bid * BUF_SIZE, BUF_SIZE, (unsigned short) bid,
                          io_uring_buf_ring_mask(NBUF), 0);
    io_uring_buf_ring_advance(br, 1);
}

static void arm_accept(void) {
    struct io_uring_sqe *s = sqe();
    io_uring_prep_multishot_accept(s, lfd, NULL, NULL, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(s, ud(K_ACCEPT, lfd, 0));
}

static void arm_recv(int fd) {
    struct io_uring_sqe *s = sqe();
    io_uring_prep_recv_multishot(s, fd, NULL, 0, 0);
    s->flags |= IOSQE_BUFFER_SELECT;
    s->buf_group = BGID;
    io_uring_sqe_set_data64(s, ud(K_RECV, fd, 0));
}

static void send_head(int fd, struct conn *c) {
    int bid = c->head;
    struct io_uring_sqe *s = sqe();
    io_uring_prep_send(s, fd, bufs + (size_t) bid * BUF_SIZE + c->sent, buf_len[bid] - c->sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(s, ud(K_SEND, fd, bid));
    c->sending = 1;
}

static void close_conn(int fd, struct conn *c) {
    while (c->head >= 0) {  /* unsent buffers go back */
        int b = c->head;
        c->head = next_bid[b];
        recycle(b);
    }
    shutdown(fd, SHUT_RDWR);  /* ends a recv still armed (it holds its own reference to the socket) */
    close(fd);
    memset(c, 0, sizeof *c);
}

/* After a buffer came back: connections whose recv ran dry are armed again. */
static void rearm_dry(void) {
    for (int fd = 0; fd < conns_cap; fd++) {
        struct conn *c = &conns[fd];
        if (c->open && c->rearm && !c->closing) {
            c->rearm = 0;
            arm_recv(fd);
        }
    }
}

static int dry;  /* how many connections wait for a buffer */

static void on_recv(int fd, int res, unsigned flags) {
    struct conn *c = conn_of(fd);
    if (!c->open) {
        if (flags & IORING_CQE_F_BUFFER) recycle((int) (flags >> IORING_CQE_BUFFER_SHIFT));
        return;
    }
    if (res > 0) {
        int bid = (int) (flags >> IORING_CQE_BUFFER_SHIFT);
        buf_len[bid] = (unsigned) res;
        next_bid[bid] = -1;
        if (c->head < 0) { c->head = c->tail = bid; c->sent = 0; }
        else { next_bid[c->tail] = bid; c->tail = bid; }
        if (!c->sending) send_head(fd, c);
        if (!(flags & IORING_CQE_F_MORE)) arm_recv(fd);
        return;
    }
    if (res == -ENOBUFS) { c->rearm = 1; dry++; return; }
    /* 0 (end of stream) or an error: close once the queued bytes are out. */
    c->closing = 1;
    if (!c->sending) close_conn(fd, c);
}

static void on_send(int fd, int bid, int res) {
    struct conn *c = conn_of(fd);
    c->sending = 0;
    if (res < 0) {
        c->closing = 1;
        if (c->head == bid) { c->head = next_bid[bid]; recycle(bid); }
        close_conn(fd, c);
        return;
    }
    c->sent += (unsigned) res;
    if (c->sent < buf_len[bid]) { send_head(fd, c); return; }
    c->head = next_bid[bid];
    c->sent = 0;
    recycle(bid);
    if (dry) { dry = 0; rearm_dry(); }
    if (c->head >= 0) send_head(fd, c);
    else if (c->closing) close_conn(fd, c);
}

static int stdin_watchable(void) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN };
    int ok = epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) == 0;
    close(ep);
    return ok;
}

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
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

    unsigned steps[] = {
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL,
        0,
    };
    int r = -EINVAL;
    for (size_t i = 0; i < sizeof steps / sizeof *steps && r == -EINVAL; i++) {
        struct io_uring_params p = { .flags = steps[i] };
        r = io_uring_queue_init_params(1024, &ring, &p);
    }
    if (r < 0) {
        fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-r));
        return 1;
    }

    size_t brlen = NBUF * sizeof(struct io_uring_buf);
    br = mmap(NULL, brlen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    bufs = malloc((size_t) NBUF * BUF_SIZE);
    if (br == MAP_FAILED || bufs == NULL) { perror("buffers"); return 1; }
    io_uring_buf_ring_init(br);
    struct io_uring_buf_reg reg = { .ring_addr = (unsigned long) br, .ring_entries = NBUF, .bgid = BGID };
    if ((r = io_uring_register_buf_ring(&ring, &reg, 0)) < 0) {
        fprintf(stderr, "io_uring_register_buf_ring: %s (kernel 5.19 or newer needed)\n", strerror(-r));
        return 1;
    }
    for (int b = 0; b < NBUF; b++) recycle(b);

    arm_accept();
    static char line[256];
    int watch_stdin = stdin_watchable();
    if (watch_stdin) {
        struct io_uring_sqe *s = sqe();
        io_uring_prep_read(s, 0, line, sizeof line, (uint64_t) -1);
        io_uring_sqe_set_data64(s, ud(K_STDIN, 0, 0));
    }

    printf("ready port=%d pid=%d impl=c-uring\n", ntohs(addr.sin_port), (int) getpid());
    fflush(stdout);

    while (!stop) {
        r = io_uring_submit_and_wait(&ring, 1);
        if (r < 0 && r != -EINTR && r != -ETIME && r != -EAGAIN && r != -EBUSY) {
            fprintf(stderr, "io_uring_submit_and_wait: %s\n", strerror(-r));
            return 1;
        }
        struct io_uring_cqe *cqe;
        unsigned head, n = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
            n++;
            uint64_t d = cqe->user_data;
            int kind = (int) (d >> 56), fd = (int) (uint32_t) d, bid = (int) ((d >> 32) & 0xffff);
            int res = cqe->res;
            switch (kind) {
            case K_ACCEPT:
                if (res >= 0) {
                    setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct conn *c = conn_of(res);
                    memset(c, 0, sizeof *c);
                    c->open = 1;
                    c->head = c->tail = -1;
                    arm_recv(res);
                }
                if (!(cqe->flags & IORING_CQE_F_MORE)) arm_accept();
                break;
            case K_RECV: on_recv(fd, res, cqe->flags); break;
            case K_SEND: on_send(fd, bid, res); break;
            case K_STDIN:
                if (res <= 0) { stop = 1; break; }
                if (memchr(line, 's', (size_t) res)) { printf("stats none\n"); fflush(stdout); }
                struct io_uring_sqe *s = sqe();
                io_uring_prep_read(s, 0, line, sizeof line, (uint64_t) -1);
                io_uring_sqe_set_data64(s, ud(K_STDIN, 0, 0));
                break;
            }
        }
        io_uring_cq_advance(&ring, n);
    }
    io_uring_queue_exit(&ring);
    return 0;
}
