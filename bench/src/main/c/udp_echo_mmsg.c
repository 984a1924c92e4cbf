/*
 * The C reference UDP echo server for ffmreactor's benchmarks: one thread, one epoll set
 * (level-triggered), and on each readiness up to 16 recvmmsg calls of up to BATCH datagrams,
 * each batch echoed back with one sendmmsg to the senders' addresses. Buffers, iovecs and
 * sockaddrs are allocated once. Like ffmreactor's datagram sockets on Linux it asks for
 * SO_RXQ_OVFL and reads the kernel's drop count from each datagram's control message, so both
 * do the same work per datagram; otherwise it is the plainest batched UDP echo C allows, the
 * floor for the CPU one datagram can cost.
 *
 * Usage: udp_echo_mmsg [port] [batch] [rcvbuf]   (port 0 or absent: any free port on 127.0.0.1;
 *        batch: datagrams per call, default 32; rcvbuf: SO_RCVBUF to ask for, 0 = default)
 * Prints "ready port=<port> pid=<pid> impl=c-udp-mmsg" once bound, then serves until SIGINT or
 * SIGTERM or until its stdin reaches end of file (so a bench that dies leaves no server behind).
 * A "stats" line on stdin is answered with "stats received=<n> sent=<n> dropped=<n> kernelDrops=<n>".
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BATCH 1024
#define SLOT 2048 /* bytes kept per datagram: the bench sends 64 */

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void) sig; stop = 1; }

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 0;
    int batch = argc > 2 ? atoi(argv[2]) : 32;
    int rcvbuf = argc > 3 ? atoi(argv[3]) : 0;
    if (batch < 1 || batch > MAX_BATCH) { fprintf(stderr, "batch must be in 1..%d\n", MAX_BATCH); return 2; }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) { perror("socket"); return 1; }
    if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf) < 0) { perror("setsockopt"); return 1; }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short) port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int on = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on) < 0) { perror("setsockopt(SO_RXQ_OVFL)"); return 1; }
    if (bind(fd, (struct sockaddr *) &addr, sizeof addr) < 0) { perror("bind"); return 1; }
    socklen_t alen = sizeof addr;
    getsockname(fd, (struct sockaddr *) &addr, &alen);

    static char bufs[MAX_BATCH][SLOT];
    static struct sockaddr_storage names[MAX_BATCH];
    static struct iovec iov[MAX_BATCH], out_iov[MAX_BATCH];
    static struct mmsghdr in[MAX_BATCH], out[MAX_BATCH];
    static union { char buf[CMSG_SPACE(sizeof(unsigned))]; struct cmsghdr align; } control[MAX_BATCH];
    for (int i = 0; i < batch; i++) {
        iov[i].iov_base = bufs[i];
        iov[i].iov_len = SLOT;
        in[i].msg_hdr.msg_iov = &iov[i];
        in[i].msg_hdr.msg_iovlen = 1;
        in[i].msg_hdr.msg_name = &names[i];
        in[i].msg_hdr.msg_control = control[i].buf;
        out[i].msg_hdr.msg_iov = &out_iov[i];
        out[i].msg_hdr.msg_iovlen = 1;
        out[i].msg_hdr.msg_name = &names[i];
    }

    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    int watch_stdin = 1;
    struct epoll_event sev = {.events = EPOLLIN, .data.fd = 0};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, 0, &sev) < 0) watch_stdin = 0; /* /dev/null and files cannot be watched */

    printf("ready port=%d pid=%d impl=c-udp-mmsg\n", ntohs(addr.sin_port), (int) getpid());
    fflush(stdout);

    unsigned long long received = 0, sent = 0, dropped = 0, kernel_drops = 0;
    struct epoll_event events[2];
    while (!stop) {
        int n = epoll_wait(ep, events, 2, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("epoll_wait");
            return 1;
        }
        for (int e = 0; e < n; e++) {
            if (events[e].data.fd == 0) {
                char line[256];
                ssize_t r = read(0, line, sizeof line);
                if (r <= 0) { stop = 1; break; }
                if (r >= 5 && memcmp(line, "stats", 5) == 0) {
                    printf("stats received=%llu sent=%llu dropped=%llu kernelDrops=%llu\n", received, sent, dropped, kernel_drops);
                    fflush(stdout);
                }
                continue;
            }
            for (int k = 0; k < 16; k++) {
                for (int i = 0; i < batch; i++) {
                    in[i].msg_hdr.msg_namelen = sizeof names[i];
                    in[i].msg_hdr.msg_controllen = sizeof control[i].buf;
                }
                int r = recvmmsg(fd, in, (unsigned) batch, 0, NULL);
                if (r < 0) {
                    if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED) break;
                    perror("recvmmsg");
                    return 1;
                }
                received += (unsigned) r;
                for (int i = 0; i < r; i++) {
                    for (struct cmsghdr *c = CMSG_FIRSTHDR(&in[i].msg_hdr); c; c = CMSG_NXTHDR(&in[i].msg_hdr, c)) {
                        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
                            unsigned d;
                            memcpy(&d, CMSG_DATA(c), sizeof d);
                            kernel_drops = d;
                        }
                    }
                    out_iov[i].iov_base = bufs[i];
                    out_iov[i].iov_len = in[i].msg_len < SLOT ? in[i].msg_len : SLOT;
                    out[i].msg_hdr.msg_namelen = in[i].msg_hdr.msg_namelen;
                }
                for (int i = 0; i < r; ) {
                    int s = sendmmsg(fd, out + i, (unsigned) (r - i), 0);
                    if (s > 0) { sent += (unsigned) s; i += s; }
                    else if (s < 0 && errno == EAGAIN) { dropped += (unsigned) (r - i); break; }
                    else { dropped++; i++; }
                }
                if (r < batch) break;
            }
        }
    }
    (void) watch_stdin;
    close(ep);
    close(fd);
    return 0;
}
