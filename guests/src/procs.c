/*
 * procs: processes as programs make them without fork: posix_spawn, vfork and
 * execve, wait4 and waitid status words, SIGCHLD with its siginfo, process
 * groups and kill of a group, orphans re-parented, pipes to a child, ENOENT,
 * EACCES and ENOEXEC from execve, and auto-reaping under SIGCHLD SIG_IGN.
 * It runs itself as the child program (argv[0] must name it), so it prints no
 * pid: the output is the same on every run and host.
 *
 * Usage: procs                  run every check
 *        procs exit N           exit with status N
 *        procs ppid P           exit 0 if getppid() is P, else 1
 *        procs echo ARGS...     print "argv: ARGS" (argv[0] included) and exit 0
 *        procs pause            wait for a signal
 *        procs late N           sleep 50 ms, then exit with status N
 *        procs orphan-maker     spawn "late 9" and exit 0 at once
 *        procs exec PATH ARGS...  execve PATH with argv PATH ARGS...; if it fails,
 *                               print the error and exit 126
 *        procs leave N          spawn "pause" and exit N while it still runs
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *self;

static void fail(const char *what)
{
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

/* posix_spawn of this program with up to three arguments. */
static pid_t spawn(const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *at,
                   const char *a1, const char *a2, const char *a3)
{
    char *argv[] = {(char *)self, (char *)a1, (char *)a2, (char *)a3, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, self, fa, at, argv, environ);
    if (err) {
        errno = err;
        fail("posix_spawn");
    }
    return pid;
}

static int wait_for(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid)
        fail("waitpid");
    return status;
}

static volatile sig_atomic_t chld_count, chld_code, chld_status, chld_pid_ok;
static volatile pid_t chld_expect;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    chld_count++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == chld_expect;
}

static void check_spawn_and_status(void)
{
    pid_t pid = spawn(NULL, NULL, "exit", "7", NULL);
    int st = wait_for(pid);
    printf("spawn exit 7: WIFEXITED %d WEXITSTATUS %d word %#x\n", WIFEXITED(st),
           WEXITSTATUS(st), st);

    char me[16];
    snprintf(me, sizeof me, "%d", (int)getpid());
    st = wait_for(spawn(NULL, NULL, "ppid", me, NULL));
    printf("child's getppid is the parent: %s\n", WEXITSTATUS(st) == 0 ? "yes" : "no");

    pid = spawn(NULL, NULL, "pause", NULL, NULL);
    if (kill(pid, SIGTERM))
        fail("kill");
    st = wait_for(pid);
    printf("killed by SIGTERM: WIFSIGNALED %d WTERMSIG %d word %#x\n", WIFSIGNALED(st),
           WTERMSIG(st), st);
}

static void check_vfork(void)
{
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {(char *)self, "exit", "3", NULL};
        execve(self, argv, environ);
        _exit(127);
    }
    int st = wait_for(pid);
    printf("vfork+execve exit 3: word %#x\n", st);

    /* fork, then execve of /proc/self/exe: the program itself, not the emulator. */
    pid = fork();
    if (pid == 0) {
        char *argv[] = {"again", "exit", "8", NULL};
        execve("/proc/self/exe", argv, environ);
        _exit(127);
    }
    st = wait_for(pid);
    printf("fork+execve /proc/self/exe exit 8: word %#x\n", st);

    pid = vfork();
    if (pid == 0)
        _exit(5);
    st = wait_for(pid);
    printf("vfork+_exit 5: word %#x\n", st);

    /* The vfork child shares memory: what it writes, the parent sees. */
    static volatile int shared;
    shared = 1;
    pid = vfork();
    if (pid == 0) {
        shared = 2;
        _exit(0);
    }
    wait_for(pid);
    printf("vfork child wrote the parent's memory: %s\n", shared == 2 ? "yes" : "no");
}

static int exec_errno(const char *path)
{
    int result = 0;
    pid_t pid = vfork();
    if (pid == 0) {
        char *argv[] = {(char *)path, NULL};
        execve(path, argv, environ);
        _exit(errno);
    }
    result = WEXITSTATUS(wait_for(pid));
    return result;
}

static void check_exec_errors(void)
{
    char garbage[] = "/tmp/faultline-procs-XXXXXX";
    int fd = mkstemp(garbage);
    if (fd < 0)
        fail("mkstemp");
    if (write(fd, "not a program\n", 14) != 14)
        fail("write");
    close(fd);
    printf("execve of a missing file: %s\n", strerror(exec_errno("/nonexistent/prog")));
    chmod(garbage, 0644);
    printf("execve of a file without x: %s\n", strerror(exec_errno(garbage)));
    chmod(garbage, 0755);
    printf("execve of a non-program: %s\n", strerror(exec_errno(garbage)));
    printf("execve of a directory: %s\n", strerror(exec_errno("/tmp")));
    unlink(garbage);
}

static void check_sigchld(void)
{
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = spawn(NULL, NULL, "exit", "4", NULL);
    chld_expect = pid;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, pid, &info, WEXITED | WNOWAIT))
        fail("waitid WNOWAIT");
    printf("waitid WNOWAIT: si_code CLD_EXITED %d si_status %d si_pid right %d\n",
           info.si_code == CLD_EXITED, info.si_status, info.si_pid == pid);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGCHLD handler: ran %d, CLD_EXITED %d, si_status %d, si_pid right %d\n",
           chld_count, chld_code == CLD_EXITED, chld_status, chld_pid_ok);
    memset(&info, 0, sizeof info);
    if (waitid(P_PID, pid, &info, WEXITED))
        fail("waitid");
    printf("waitid reaps it: si_status %d, then %s\n", info.si_status,
           waitpid(pid, NULL, WNOHANG) < 0 && errno == ECHILD ? "ECHILD" : "still there");
    signal(SIGCHLD, SIG_DFL);
}

static void check_wnohang(void)
{
    pid_t pid = spawn(NULL, NULL, "pause", NULL, NULL);
    int st;
    printf("WNOHANG with a running child: %d\n", (int)waitpid(pid, &st, WNOHANG));
    siginfo_t info;
    memset(&info, 0xff, sizeof info);
    waitid(P_PID, pid, &info, WEXITED | WNOHANG);
    printf("waitid WNOHANG: si_pid %d\n", info.si_pid);
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
    printf("/proc/CHILD/cmdline ends with pause: %s\n",
           n > 6 && !memcmp(buf + n - 6, "pause", 6) ? "yes" : "no");
    if (fd >= 0)
        close(fd);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    fd = open(path, O_RDONLY);
    n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    char ppid_line[32];
    snprintf(ppid_line, sizeof ppid_line, "\nPPid:\t%d\n", (int)getpid());
    printf("/proc/CHILD/status names us its parent: %s\n", strstr(buf, ppid_line) ? "yes" : "no");
    if (fd >= 0)
        close(fd);
    kill(pid, SIGKILL);
    st = wait_for(pid);
    printf("SIGKILL: word %#x\n", st);
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    errno = 0;
    printf("/proc/REAPED/status: %s\n", open(path, O_RDONLY) < 0 ? strerror(errno) : "opened");
    printf("no children: %s\n", wait(&st) < 0 && errno == ECHILD ? "ECHILD" : "a child");
}

static void check_groups(void)
{
    printf("the initial process leads its group: %s\n", getpgid(0) == getpid() ? "yes" : "no");
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    pid_t a = spawn(NULL, &at, "pause", NULL, NULL);
    posix_spawnattr_setpgroup(&at, a);
    pid_t b = spawn(NULL, &at, "pause", NULL, NULL);
    printf("second child joined the first's group: %s\n",
           getpgid(b) == a && getpgid(a) == a ? "yes" : "no");
    printf("its session is ours: %s\n", getsid(a) == getsid(0) ? "yes" : "no");
    if (kill(-a, SIGTERM))
        fail("kill group");
    int sa = wait_for(a), sb = wait_for(b);
    printf("kill(-pgid): both WTERMSIG %d %d\n", WTERMSIG(sa), WTERMSIG(sb));
    errno = 0;
    printf("kill of an empty group: %s\n", kill(-a, SIGTERM) < 0 ? strerror(errno) : "sent");
    posix_spawnattr_destroy(&at);
}

static void check_orphans(void)
{
    /* Orphans go to the nearest subreaper; faultline's initial process is one. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    int st = wait_for(spawn(NULL, NULL, "orphan-maker", NULL, NULL));
    printf("orphan maker exit %d\n", WEXITSTATUS(st));
    pid_t got = wait(&st);
    printf("orphan reaped by us: %s, exit %d\n", got > 0 ? "yes" : "no", WEXITSTATUS(st));
}

static void check_pipe(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        fail("pipe2");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    pid_t pid = spawn(&fa, NULL, "echo", "through", "a pipe");
    close(p[1]);
    char buf[256];
    size_t n = 0;
    ssize_t r;
    while ((r = read(p[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += r;
    buf[n] = 0;
    close(p[0]);
    int st = wait_for(pid);
    printf("read from the child until EOF: %s", buf);
    printf("  its exit %d\n", WEXITSTATUS(st));
    posix_spawn_file_actions_destroy(&fa);
}

static void check_autoreap(void)
{
    signal(SIGCHLD, SIG_IGN);
    spawn(NULL, NULL, "exit", "1", NULL);
    int st;
    pid_t r = wait(&st);
    printf("SIGCHLD ignored: wait gives %s\n", r < 0 && errno == ECHILD ? "ECHILD" : "a zombie");
    signal(SIGCHLD, SIG_DFL);
}

int main(int argc, char **argv)
{
    self = argv[0];
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1) {
        const char *mode = argv[1];
        if (!strcmp(mode, "exit") && argc > 2)
            return atoi(argv[2]);
        if (!strcmp(mode, "ppid") && argc > 2)
            return getppid() == atoi(argv[2]) ? 0 : 1;
        if (!strcmp(mode, "echo")) {
            printf("argv:");
            for (int i = 0; i < argc; i++)
                printf(" [%s]", i == 0 ? "self" : argv[i]);
            printf("\n");
            return 0;
        }
        if (!strcmp(mode, "pause")) {
            pause();
            return 0;
        }
        if (!strcmp(mode, "late") && argc > 2) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
            return atoi(argv[2]);
        }
        if (!strcmp(mode, "orphan-maker")) {
            spawn(NULL, NULL, "late", "9", NULL);
            return 0;
        }
        if (!strcmp(mode, "exec") && argc > 2) {
            execve(argv[2], argv + 2, environ);
            printf("execve %s: %s\n", argv[2], strerror(errno));
            return 126;
        }
        if (!strcmp(mode, "leave") && argc > 2) {
            spawn(NULL, NULL, "pause", NULL, NULL);
            return atoi(argv[2]);
        }
        printf("procs: unknown mode %s\n", mode);
        return 2;
    }
    check_spawn_and_status();
    check_vfork();
    check_exec_errors();
    check_sigchld();
    check_wnohang();
    check_groups();
    check_orphans();
    check_pipe();
    check_autoreap();
    printf("procs: done\n");
    return 0;
}
