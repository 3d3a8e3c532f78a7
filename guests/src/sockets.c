/*
 * sockets: socketpair(AF_UNIX) passed to the host.
 *
 *   stream     bytes both ways with write/read and send/recv; EOF after
 *              shutdown; MSG_DONTWAIT on an empty socket is EAGAIN.
 *   dgram      message boundaries are kept.
 *   poll       an empty socket is writable but not readable.
 *   blocked    a blocked recv wakes when the peer thread sends.
 */
#include "guest_util.h"
#include <poll.h>
#include <sys/socket.h>

static int sv[2];

static void *send_later(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 30000000 };
    nanosleep(&ts, NULL);
    send(sv[1], "late", 4, 0);
    return NULL;
}

int main(void)
{
    char buf[64];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        fail("stream", "socketpair: %s", strerror(errno));
    if (write(sv[0], "hello", 5) != 5 || read(sv[1], buf, sizeof(buf)) != 5
        || memcmp(buf, "hello", 5) != 0)
        fail("stream", "write/read");
    if (send(sv[1], "back", 4, 0) != 4 || recv(sv[0], buf, sizeof(buf), 0) != 4
        || memcmp(buf, "back", 4) != 0)
        fail("stream", "send/recv");
    if (recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT) != -1 || errno != EAGAIN)
        fail("stream", "MSG_DONTWAIT on an empty socket");

    struct pollfd p = { sv[0], POLLIN | POLLOUT, 0 };
    if (poll(&p, 1, 0) != 1 || p.revents != POLLOUT)
        fail("poll", "revents %#x", p.revents);
    printf("ok poll\n");

    pthread_t th;
    check_pthread(pthread_create(&th, NULL, send_later, NULL), "pthread_create");
    if (recv(sv[0], buf, sizeof(buf), 0) != 4 || memcmp(buf, "late", 4) != 0)
        fail("blocked", "recv");
    pthread_join(th, NULL);
    printf("ok blocked\n");

    shutdown(sv[1], SHUT_WR);
    if (read(sv[0], buf, sizeof(buf)) != 0)
        fail("stream", "no EOF after shutdown");
    close(sv[0]);
    close(sv[1]);
    printf("ok stream\n");

    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0)
        fail("dgram", "socketpair: %s", strerror(errno));
    send(sv[0], "one", 3, 0);
    send(sv[0], "three", 5, 0);
    ssize_t a = recv(sv[1], buf, sizeof(buf), 0);
    ssize_t b = recv(sv[1], buf, sizeof(buf), 0);
    if (a != 3 || b != 5)
        fail("dgram", "lengths %zd %zd", a, b);
    printf("ok dgram\n");
    printf("sockets: all ok\n");
    return 0;
}
