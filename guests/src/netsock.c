/*
 * netsock DIR [keep]: sockets bound, listened on, accepted and connected,
 * passed to the host.  DIR is a writable directory for the AF_UNIX socket
 * files (under --root, a path inside the root as the guest sees it); with
 * `keep`, the stream server's socket file DIR/s-PID.sock is left for the caller
 * to find.
 *
 *   unix       a stream server and client thread on DIR/s-PID.sock: names both
 *              ways, a pipe's fd passed with SCM_RIGHTS and used.
 *   abstract   an abstract name passes through.
 *   tcp4 tcp6  loopback echo on an ephemeral port; getsockname/getpeername.
 *   udp        sendto/recvfrom with the sender's address.
 *   epoll      a non-blocking accept is EAGAIN, then ready through epoll.
 *   options    MSG_WAITALL across two sends; SO_RCVTIMEO (a timed-out
 *              recv is EAGAIN), SO_LINGER,
 *              SO_TYPE read back; SO_PEERCRED names this process's pid.
 *   errors     EAFNOSUPPORT, EFAULT, ENOENT, ENOTSOCK, EINVAL, ECONNREFUSED.
 */
#include "guest_util.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

static void *echo_client(void *arg)
{
    const struct sockaddr *to = arg;
    socklen_t len = to->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                             : sizeof(struct sockaddr_in6);
    int c = socket(to->sa_family, SOCK_STREAM, 0);
    if (c < 0 || connect(c, to, len) != 0)
        fail("echo", "connect: %s", strerror(errno));
    char buf[16];
    if (write(c, "echo me", 7) != 7 || read(c, buf, sizeof(buf)) != 7
        || memcmp(buf, "echo me", 7) != 0)
        fail("echo", "round trip");
    close(c);
    return NULL;
}

/* A loopback echo server of `family`, served once to a client thread. */
static void tcp(int family, const char *label)
{
    struct sockaddr_storage ss = { 0 };
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        len = sizeof(*in6);
    }
    int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (s < 0 || setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0
        || bind(s, (struct sockaddr *)&ss, len) != 0 || listen(s, 4) != 0)
        fail(label, "server: %s", strerror(errno));
    socklen_t got = sizeof(ss);
    if (getsockname(s, (struct sockaddr *)&ss, &got) != 0 || got != len)
        fail(label, "getsockname: %s (len %u)", strerror(errno), got);
    pthread_t th;
    check_pthread(pthread_create(&th, NULL, echo_client, &ss), "pthread_create");
    struct sockaddr_storage peer;
    socklen_t plen = sizeof(peer);
    int c = accept4(s, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
    if (c < 0 || plen != len || peer.ss_family != family)
        fail(label, "accept4: %s", strerror(errno));
    struct sockaddr_storage me;
    socklen_t mlen = sizeof(me);
    if (getpeername(c, (struct sockaddr *)&me, &mlen) != 0 || mlen != plen
        || memcmp(&me, &peer, plen) != 0)
        fail(label, "getpeername differs from accept's address");
    char buf[16];
    ssize_t n = read(c, buf, sizeof(buf));
    if (n != 7 || write(c, buf, n) != n)
        fail(label, "echo");
    pthread_join(th, NULL);
    close(c);
    close(s);
    printf("ok %s\n", label);
}

static struct sockaddr_un unix_addr(const char *dir, const char *name)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    snprintf(un.sun_path, sizeof(un.sun_path), "%s/%s", dir, name);
    return un;
}

static struct sockaddr_un server_un;

static void *unix_client(void *arg)
{
    (void)arg;
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&server_un, sizeof(server_un)) != 0)
        fail("unix", "connect: %s", strerror(errno));
    struct sockaddr_un peer;
    socklen_t len = sizeof(peer);
    if (getpeername(c, (struct sockaddr *)&peer, &len) != 0
        || strcmp(peer.sun_path, server_un.sun_path) != 0
        || len != offsetof(struct sockaddr_un, sun_path) + strlen(peer.sun_path) + 1)
        fail("unix", "getpeername: '%s' (len %u)", peer.sun_path, len);
    int p[2];
    if (pipe(p) != 0)
        fail("unix", "pipe");
    char byte = 'x';
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
    if (sendmsg(c, &msg, 0) != 1)
        fail("unix", "sendmsg: %s", strerror(errno));
    close(p[1]);
    char buf[32] = { 0 };
    if (read(p[0], buf, sizeof(buf) - 1) != 13 || strcmp(buf, "through a fd\n") != 0)
        fail("unix", "the passed pipe end carried '%s'", buf);
    close(p[0]);
    close(c);
    return NULL;
}

static void unix_stream(const char *dir, int keep)
{
    char name[32];
    snprintf(name, sizeof(name), "s-%d.sock", (int)getpid());
    server_un = unix_addr(dir, name);
    unlink(server_un.sun_path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&server_un, sizeof(server_un)) != 0
        || listen(s, 4) != 0)
        fail("unix", "server: %s", strerror(errno));
    struct sockaddr_un me;
    socklen_t len = sizeof(me);
    if (getsockname(s, (struct sockaddr *)&me, &len) != 0
        || strcmp(me.sun_path, server_un.sun_path) != 0)
        fail("unix", "getsockname: '%s'", me.sun_path);
    if (bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&server_un,
             sizeof(server_un)) != -1 || errno != EADDRINUSE)
        fail("unix", "a second bind: %s", strerror(errno));
    pthread_t th;
    check_pthread(pthread_create(&th, NULL, unix_client, NULL), "pthread_create");
    int c = accept(s, NULL, NULL);
    if (c < 0)
        fail("unix", "accept: %s", strerror(errno));
    char byte;
    struct iovec iov = { &byte, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    if (recvmsg(c, &msg, MSG_CMSG_CLOEXEC) != 1 || byte != 'x')
        fail("unix", "recvmsg: %s", strerror(errno));
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (!cm || cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS
        || cm->cmsg_len != CMSG_LEN(sizeof(int)) || (msg.msg_flags & MSG_CTRUNC))
        fail("unix", "no SCM_RIGHTS message");
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof(int));
    if (fcntl(fd, F_GETFD) != FD_CLOEXEC)
        fail("unix", "received fd %d is not close-on-exec", fd);
    if (write(fd, "through a fd\n", 13) != 13)
        fail("unix", "write to the received fd %d: %s", fd, strerror(errno));
    close(fd);
    pthread_join(th, NULL);
    close(c);
    close(s);
    if (!keep)
        unlink(server_un.sun_path);
    printf("ok unix\n");
}

static void abstract_name(void)
{
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    int n = snprintf(un.sun_path + 1, sizeof(un.sun_path) - 1, "faultline-netsock-%d",
                     (int)getpid());
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (bind(s, (struct sockaddr *)&un, len) != 0)
        fail("abstract", "bind: %s", strerror(errno));
    if (sendto(c, "abs", 3, 0, (struct sockaddr *)&un, len) != 3)
        fail("abstract", "sendto: %s", strerror(errno));
    char buf[8];
    if (recv(s, buf, sizeof(buf), 0) != 3)
        fail("abstract", "recv");
    struct sockaddr_un me;
    socklen_t mlen = sizeof(me);
    if (getsockname(s, (struct sockaddr *)&me, &mlen) != 0 || mlen != len
        || memcmp(&me, &un, len) != 0)
        fail("abstract", "getsockname");
    close(s);
    close(c);
    printf("ok abstract\n");
}

static void udp(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in b = a;
    int sa = socket(AF_INET, SOCK_DGRAM, 0), sb = socket(AF_INET, SOCK_DGRAM, 0);
    socklen_t len = sizeof(a);
    if (bind(sa, (struct sockaddr *)&a, len) != 0 || bind(sb, (struct sockaddr *)&b, len) != 0
        || getsockname(sa, (struct sockaddr *)&a, &len) != 0
        || getsockname(sb, (struct sockaddr *)&b, &len) != 0)
        fail("udp", "bind: %s", strerror(errno));
    if (sendto(sa, "dgram", 5, 0, (struct sockaddr *)&b, sizeof(b)) != 5)
        fail("udp", "sendto: %s", strerror(errno));
    struct sockaddr_in from;
    socklen_t flen = sizeof(from);
    char buf[16];
    if (recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) != 5
        || flen != sizeof(from) || from.sin_port != a.sin_port
        || memcmp(buf, "dgram", 5) != 0)
        fail("udp", "recvfrom");
    /* A truncated address still reports the full length. */
    sendto(sa, "x", 1, 0, (struct sockaddr *)&b, sizeof(b));
    flen = 4;
    if (recvfrom(sb, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) != 1
        || flen != sizeof(from))
        fail("udp", "short address buffer: len %u", flen);
    close(sa);
    close(sb);
    printf("ok udp\n");
}

static struct sockaddr_in epoll_to;

static void *late_connect(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 20000000 };
    nanosleep(&ts, NULL);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&epoll_to, sizeof(epoll_to)) != 0)
        fail("epoll", "connect: %s", strerror(errno));
    close(c);
    return NULL;
}

static void epoll_accept(void)
{
    epoll_to = (struct sockaddr_in){ .sin_family = AF_INET,
                                     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    socklen_t len = sizeof(epoll_to);
    if (bind(s, (struct sockaddr *)&epoll_to, len) != 0 || listen(s, 4) != 0
        || getsockname(s, (struct sockaddr *)&epoll_to, &len) != 0)
        fail("epoll", "listen: %s", strerror(errno));
    if (accept4(s, NULL, NULL, 0) != -1 || errno != EAGAIN)
        fail("epoll", "accept4 on no connection: %s", strerror(errno));
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev) != 0)
        fail("epoll", "epoll_ctl: %s", strerror(errno));
    pthread_t th;
    check_pthread(pthread_create(&th, NULL, late_connect, NULL), "pthread_create");
    struct epoll_event out;
    if (epoll_wait(ep, &out, 1, 5000) != 1 || out.data.u32 != 7)
        fail("epoll", "epoll_wait");
    int c = accept4(s, NULL, NULL, SOCK_NONBLOCK);
    if (c < 0 || !(fcntl(c, F_GETFL) & O_NONBLOCK))
        fail("epoll", "accept4: %s", strerror(errno));
    pthread_join(th, NULL);
    close(c);
    close(ep);
    close(s);
    printf("ok epoll\n");
}

static int waitall_sv[2];

static void *send_halves(void *arg)
{
    (void)arg;
    struct timespec ts = { 0, 20000000 };
    send(waitall_sv[1], "ab", 2, 0);
    nanosleep(&ts, NULL);
    send(waitall_sv[1], "cd", 2, 0);
    return NULL;
}

static void options(void)
{
    /* MSG_WAITALL gathers a stream's bytes sent in two parts. */
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, waitall_sv) != 0)
        fail("options", "socketpair");
    pthread_t th;
    check_pthread(pthread_create(&th, NULL, send_halves, NULL), "pthread_create");
    char four[5] = { 0 };
    if (recv(waitall_sv[0], four, 4, MSG_WAITALL) != 4 || strcmp(four, "abcd") != 0)
        fail("options", "MSG_WAITALL gave '%s'", four);
    pthread_join(th, NULL);
    close(waitall_sv[0]);
    close(waitall_sv[1]);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        fail("options", "socketpair");
    struct timeval tv = { 0, 50000 }, back;
    socklen_t len = sizeof(back);
    if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0
        || getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &back, &len) != 0
        || len != sizeof(back) || back.tv_sec != 0 || back.tv_usec < 40000)
        fail("options", "SO_RCVTIMEO: %s", strerror(errno));
    char buf[4];
    if (recv(sv[0], buf, sizeof(buf), 0) != -1 || errno != EAGAIN)
        fail("options", "a recv past SO_RCVTIMEO: %s", strerror(errno));
    struct linger lg = { 1, 5 }, lgb;
    len = sizeof(lgb);
    if (setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) != 0
        || getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lgb, &len) != 0
        || lgb.l_onoff != 1 || lgb.l_linger != 5)
        fail("options", "SO_LINGER");
    int type = 0;
    len = sizeof(type);
    if (getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
        fail("options", "SO_TYPE");
    if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 4) != -1 || errno != EINVAL)
        fail("options", "a short timeval");
    struct ucred cr;
    len = sizeof(cr);
    if (getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0 || len != sizeof(cr)
        || cr.pid != getpid())
        fail("options", "SO_PEERCRED pid %d, getpid %d", (int)cr.pid, (int)getpid());
    close(sv[0]);
    close(sv[1]);
    printf("ok options\n");
}

static void errors(const char *dir)
{
    if (socket(AF_APPLETALK, SOCK_DGRAM, 0) != -1 || errno != EAFNOSUPPORT)
        fail("errors", "AF_APPLETALK: %s", strerror(errno));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(s, (struct sockaddr *)8, sizeof(struct sockaddr_in)) != -1 || errno != EFAULT)
        fail("errors", "bind from a bad address: %s", strerror(errno));
    if (getsockname(s, (struct sockaddr *)8, &(socklen_t){ 16 }) != -1 || errno != EFAULT)
        fail("errors", "getsockname to a bad address: %s", strerror(errno));
    if (bind(s, (struct sockaddr *)&(struct sockaddr_in){ .sin_family = AF_INET }, 4) != -1
        || errno != EINVAL)
        fail("errors", "a short sockaddr_in: %s", strerror(errno));
    /* A port bound but not listening refuses a (blocking) connect. */
    struct sockaddr_in closed = { .sin_family = AF_INET,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t clen = sizeof(closed);
    int b = socket(AF_INET, SOCK_STREAM, 0), c = socket(AF_INET, SOCK_STREAM, 0);
    if (bind(b, (struct sockaddr *)&closed, clen) != 0
        || getsockname(b, (struct sockaddr *)&closed, &clen) != 0)
        fail("errors", "bind: %s", strerror(errno));
    if (connect(c, (struct sockaddr *)&closed, clen) != -1 || errno != ECONNREFUSED)
        fail("errors", "connect to a closed port: %s", strerror(errno));
    close(b);
    close(c);
    struct sockaddr_un none = unix_addr(dir, "missing.sock");
    int u = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(u, (struct sockaddr *)&none, sizeof(none)) != -1 || errno != ENOENT)
        fail("errors", "connect to a missing path: %s", strerror(errno));
    if (listen(1, 1) != -1 || errno != ENOTSOCK)
        fail("errors", "listen on stdout: %s", strerror(errno));
    close(u);
    close(s);
    printf("ok errors\n");
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    unix_stream(dir, argc > 2 && strcmp(argv[2], "keep") == 0);
    abstract_name();
    tcp(AF_INET, "tcp4");
    tcp(AF_INET6, "tcp6");
    udp();
    epoll_accept();
    options();
    errors(dir);
    printf("netsock: all ok\n");
    return 0;
}
