/*
 * fileio: file-system system calls as a program sees them through libc.
 *
 * Usage: fileio [BASE_DIR]     (default /tmp)
 *
 * Works inside a fresh directory BASE_DIR/faultline-fileio-<pid> and removes
 * it at the end.  Prints one "ok <check>" line per check, or
 * "FAIL <check>: ..." and goes on with the next check; exits 1 if anything
 * failed.  Nothing printed depends on the pid, the base directory, inode
 * numbers or times.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check_runner.h"

static char dir[1024]; /* the temporary working directory */

/* Path of NAME inside the working directory (a static buffer per call
 * site would be error-prone; callers copy when they need two at once). */
static const char *path(const char *name)
{
    static char buf[2][2048];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", dir, name);
    return buf[which];
}

static void write_all(int fd, const void *buf, size_t len, const char *check)
{
    if (write(fd, buf, len) != (ssize_t)len)
        fail(check, "short write");
}

static const char text[] = "The quick brown fox jumps over the lazy dog.\n";
#define TEXT_LEN (sizeof text - 1)

static void check_open_rw(void)
{
    const char *f = path("data.txt");
    int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (fd < 0)
        fail("open_write_read", "open for writing");
    write_all(fd, text, TEXT_LEN, "open_write_read");
    if (close(fd) != 0)
        fail("open_write_read", "close");

    char buf[128] = {0};
    fd = open(f, O_RDONLY);
    if (fd < 0)
        fail("open_write_read", "open for reading");
    ssize_t n = read(fd, buf, sizeof buf);
    if (n != (ssize_t)TEXT_LEN || memcmp(buf, text, TEXT_LEN) != 0)
        fail("open_write_read", "data read back differs");
    if (read(fd, buf, sizeof buf) != 0)
        fail("open_write_read", "read at end of file must return 0");
    close(fd);

    errno = 0;
    if (open(f, O_WRONLY | O_CREAT | O_EXCL, 0640) != -1 || errno != EEXIST)
        fail("open_write_read", "O_EXCL on an existing file must give EEXIST");
    errno = 0;
    if (open(path("missing"), O_RDONLY) != -1 || errno != ENOENT)
        fail("open_write_read", "opening a missing file must give ENOENT");
    ok("open_write_read");
}

static void check_pread_pwrite_lseek(void)
{
    int fd = open(path("data.txt"), O_RDWR);
    if (fd < 0)
        fail("pread_pwrite", "open");
    char buf[16] = {0};
    if (lseek(fd, 4, SEEK_SET) != 4)
        fail("pread_pwrite", "lseek SEEK_SET");
    /* pread/pwrite use their own offset and leave the file offset alone. */
    if (pread(fd, buf, 5, 10) != 5 || memcmp(buf, "brown", 5) != 0)
        fail("pread_pwrite", "pread");
    if (pwrite(fd, "BROWN", 5, 10) != 5)
        fail("pread_pwrite", "pwrite");
    if (lseek(fd, 0, SEEK_CUR) != 4)
        fail("pread_pwrite", "file offset moved by pread/pwrite");
    if (read(fd, buf, 11) != 11 || memcmp(buf, "quick BROWN", 11) != 0)
        fail("pread_pwrite", "pwrite data not seen by read");
    ok("pread_pwrite");

    if (lseek(fd, -5, SEEK_END) != (off_t)TEXT_LEN - 5)
        fail("lseek", "SEEK_END");
    if (lseek(fd, 2, SEEK_CUR) != (off_t)TEXT_LEN - 3)
        fail("lseek", "SEEK_CUR");
    errno = 0;
    if (lseek(fd, -1, SEEK_SET) != -1 || errno != EINVAL)
        fail("lseek", "negative offset must give EINVAL");
    /* Writing past the end leaves a hole that reads as zeros. */
    if (lseek(fd, 100, SEEK_SET) != 100)
        fail("lseek", "seek past end");
    write_all(fd, "X", 1, "lseek");
    char hole[100 - TEXT_LEN];
    if (pread(fd, hole, sizeof hole, TEXT_LEN) != (ssize_t)sizeof hole)
        fail("lseek", "pread of the hole");
    for (size_t i = 0; i < sizeof hole; i++)
        if (hole[i] != 0)
            fail("lseek", "hole does not read as zeros");
    close(fd);
    ok("lseek");
}

static void check_stat(void)
{
    struct stat st, fst;
    int fd = open(path("data.txt"), O_RDONLY);
    if (fd < 0)
        fail("stat", "open");
    if (stat(path("data.txt"), &st) != 0 || fstat(fd, &fst) != 0)
        fail("stat", "stat/fstat");
    close(fd);
    if (!S_ISREG(st.st_mode) || st.st_size != 101)
        fail("stat", "not a 101-byte regular file");
    if ((st.st_mode & 07777) != 0640)
        fail("stat", "permission bits differ from open(..., 0640)");
    if (st.st_ino != fst.st_ino || st.st_dev != fst.st_dev ||
        st.st_size != fst.st_size || st.st_nlink != 1)
        fail("stat", "stat and fstat disagree");
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        fail("stat", "directory is not S_ISDIR");
    errno = 0;
    if (stat(path("missing"), &st) != -1 || errno != ENOENT)
        fail("stat", "stat of a missing file must give ENOENT");
    /* fstatat relative to a directory descriptor. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || fstatat(dfd, "data.txt", &st, 0) != 0 ||
        st.st_ino != fst.st_ino)
        fail("stat", "fstatat");
    close(dfd);
    ok("stat");
}

static void check_ftruncate_fsync(void)
{
    int fd = open(path("data.txt"), O_RDWR);
    struct stat st;
    char buf[32];
    if (fd < 0)
        fail("ftruncate", "open");
    if (ftruncate(fd, 9) != 0 || fstat(fd, &st) != 0 || st.st_size != 9)
        fail("ftruncate", "shrink");
    if (ftruncate(fd, 20) != 0 || fstat(fd, &st) != 0 || st.st_size != 20)
        fail("ftruncate", "grow");
    if (pread(fd, buf, sizeof buf, 0) != 20 ||
        memcmp(buf, "The quick\0\0\0\0\0\0\0\0\0\0\0", 20) != 0)
        fail("ftruncate", "content after shrink+grow");
    ok("ftruncate");
    if (fsync(fd) != 0 || fdatasync(fd) != 0)
        fail("fsync", "fsync/fdatasync");
    close(fd);
    ok("fsync");
}

static void check_rename_unlink(void)
{
    struct stat st;
    char from[2048];
    snprintf(from, sizeof from, "%s", path("data.txt"));
    if (rename(from, path("renamed.txt")) != 0)
        fail("rename", "rename");
    errno = 0;
    if (stat(from, &st) != -1 || errno != ENOENT)
        fail("rename", "old name still exists");
    if (stat(path("renamed.txt"), &st) != 0 || st.st_size != 20)
        fail("rename", "new name missing or wrong size");
    ok("rename");

    /* An unlinked file stays readable through an open descriptor. */
    int fd = open(path("renamed.txt"), O_RDONLY);
    if (fd < 0)
        fail("unlink", "open");
    if (unlink(path("renamed.txt")) != 0)
        fail("unlink", "unlink");
    errno = 0;
    if (access(path("renamed.txt"), F_OK) != -1 || errno != ENOENT)
        fail("unlink", "name still exists");
    char buf[9];
    if (read(fd, buf, 9) != 9 || memcmp(buf, "The quick", 9) != 0)
        fail("unlink", "open descriptor lost the data");
    if (fstat(fd, &st) != 0 || st.st_nlink != 0)
        fail("unlink", "link count of an unlinked open file must be 0");
    close(fd);
    errno = 0;
    if (unlink(path("renamed.txt")) != -1 || errno != ENOENT)
        fail("unlink", "second unlink must give ENOENT");
    ok("unlink");
}

static void check_links(void)
{
    int fd = open(path("target"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("links", "open");
    write_all(fd, "linked", 6, "links");
    close(fd);
    struct stat st;
    if (link(path("target"), path("hard")) != 0)
        fail("links", "link");
    if (stat(path("target"), &st) != 0 || st.st_nlink != 2)
        fail("links", "hard link count");
    if (symlink("target", path("soft")) != 0)
        fail("links", "symlink");
    char buf[64];
    ssize_t n = readlink(path("soft"), buf, sizeof buf);
    if (n != 6 || memcmp(buf, "target", 6) != 0)
        fail("links", "readlink of the symlink");
    if (lstat(path("soft"), &st) != 0 || !S_ISLNK(st.st_mode))
        fail("links", "lstat must see a symlink");
    if (stat(path("soft"), &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size != 6)
        fail("links", "stat must follow the symlink");
    unlink(path("soft"));
    unlink(path("hard"));
    unlink(path("target"));
    ok("links");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_mkdir_readdir(void)
{
    char sub[2048];
    snprintf(sub, sizeof sub, "%s", path("sub"));
    if (mkdir(sub, 0755) != 0)
        fail("mkdir", "mkdir");
    errno = 0;
    if (mkdir(sub, 0755) != -1 || errno != EEXIST)
        fail("mkdir", "second mkdir must give EEXIST");
    ok("mkdir");

    /* Enough entries that a small getdents buffer would need several
     * calls; created in an order unlike the sorted one. */
    static const char *names[] = {"zeta", "alpha", "mu", "beta", "omega",
                                  "gamma", "kappa", "delta", "lambda", "pi"};
    size_t nnames = sizeof names / sizeof names[0];
    for (size_t i = 0; i < nnames; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", sub, names[i]);
        int fd = open(p, O_WRONLY | O_CREAT, 0644);
        if (fd < 0)
            fail("readdir", "create entry");
        close(fd);
    }
    char p[4096];
    snprintf(p, sizeof p, "%s/nested", sub);
    if (mkdir(p, 0700) != 0)
        fail("readdir", "mkdir nested");

    DIR *d = opendir(sub);
    if (!d)
        fail("readdir", "opendir");
    char *seen[32];
    size_t nseen = 0;
    int dot = 0, dotdot = 0, nested_is_dir = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0) {
            dot++;
            continue;
        }
        if (strcmp(e->d_name, "..") == 0) {
            dotdot++;
            continue;
        }
        if (nseen == 32)
            fail("readdir", "too many entries");
        if (strcmp(e->d_name, "nested") == 0)
            nested_is_dir = e->d_type == DT_DIR || e->d_type == DT_UNKNOWN;
        seen[nseen++] = strdup(e->d_name);
    }
    closedir(d);
    if (dot != 1 || dotdot != 1)
        fail("readdir", "'.' and '..' must each appear once");
    if (!nested_is_dir)
        fail("readdir", "d_type of a directory");
    if (nseen != nnames + 1)
        fail("readdir", "wrong number of entries");
    /* The order of directory entries is file-system specific. */
    qsort(seen, nseen, sizeof seen[0], cmp_str);
    printf("readdir:");
    for (size_t i = 0; i < nseen; i++) {
        printf(" %s", seen[i]);
        free(seen[i]);
    }
    printf("\n");
    ok("readdir");

    errno = 0;
    if (rmdir(sub) != -1 || errno != ENOTEMPTY)
        fail("rmdir", "rmdir of a non-empty directory must give ENOTEMPTY");
    for (size_t i = 0; i < nnames; i++) {
        snprintf(p, sizeof p, "%s/%s", sub, names[i]);
        if (unlink(p) != 0)
            fail("rmdir", "unlink entry");
    }
    snprintf(p, sizeof p, "%s/nested", sub);
    if (rmdir(p) != 0 || rmdir(sub) != 0)
        fail("rmdir", "rmdir");
    errno = 0;
    if (access(sub, F_OK) != -1 || errno != ENOENT)
        fail("rmdir", "directory still exists");
    ok("rmdir");
}

static void check_dup_fcntl(void)
{
    int fd = open(path("dup.txt"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("dup", "open");
    write_all(fd, "0123456789", 10, "dup");

    /* A dup shares the open file description, hence the offset. */
    int fd2 = dup(fd);
    if (fd2 < 0 || fd2 == fd)
        fail("dup", "dup");
    if (lseek(fd2, 3, SEEK_SET) != 3 || lseek(fd, 0, SEEK_CUR) != 3)
        fail("dup", "offset not shared");
    if (dup2(fd, 100) != 100)
        fail("dup", "dup2 to fd 100");
    char c;
    if (read(100, &c, 1) != 1 || c != '3' || lseek(fd, 0, SEEK_CUR) != 4)
        fail("dup", "dup2 descriptor does not share the offset");
    if (dup2(fd, fd) != fd)
        fail("dup", "dup2 onto itself must return the descriptor");
    errno = 0;
    if (dup2(1000000, 101) != -1 || errno != EBADF)
        fail("dup", "dup2 of a bad descriptor must give EBADF");
    close(100);
    close(fd2);
    ok("dup");

    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || (fl & O_ACCMODE) != O_RDWR || (fl & O_APPEND))
        fail("fcntl", "F_GETFL of an O_RDWR descriptor");
    if (fcntl(fd, F_SETFL, fl | O_APPEND) != 0 ||
        !(fcntl(fd, F_GETFL) & O_APPEND))
        fail("fcntl", "F_SETFL O_APPEND");
    /* With O_APPEND every write goes to the end, whatever the offset. */
    lseek(fd, 0, SEEK_SET);
    write_all(fd, "A", 1, "fcntl");
    char buf[11];
    if (pread(fd, buf, 11, 0) != 11 || memcmp(buf, "0123456789A", 11) != 0)
        fail("fcntl", "O_APPEND write not at the end");

    if (fcntl(fd, F_GETFD) != 0)
        fail("fcntl", "new descriptor must not be close-on-exec");
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 ||
        fcntl(fd, F_GETFD) != FD_CLOEXEC)
        fail("fcntl", "F_SETFD FD_CLOEXEC");
    int fd3 = fcntl(fd, F_DUPFD_CLOEXEC, 50);
    if (fd3 < 50 || fcntl(fd3, F_GETFD) != FD_CLOEXEC)
        fail("fcntl", "F_DUPFD_CLOEXEC");
    close(fd3);
    close(fd);
    errno = 0;
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
        fail("fcntl", "closed descriptor must give EBADF");
    unlink(path("dup.txt"));
    ok("fcntl");
}

static void check_readv_writev(void)
{
    int fd = open(path("vec.txt"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("readv_writev", "open");
    char a[] = "scatter", b[] = "-", c[] = "gather";
    struct iovec out[3] = {{a, 7}, {b, 1}, {c, 6}};
    if (writev(fd, out, 3) != 14)
        fail("readv_writev", "writev");
    char x[4], y[6], z[8] = {0};
    struct iovec in[3] = {{x, 4}, {y, 6}, {z, 8}};
    lseek(fd, 0, SEEK_SET);
    if (readv(fd, in, 3) != 14)
        fail("readv_writev", "readv");
    if (memcmp(x, "scat", 4) != 0 || memcmp(y, "ter-ga", 6) != 0 ||
        memcmp(z, "ther\0\0\0\0", 8) != 0)
        fail("readv_writev", "data split wrongly across buffers");
    close(fd);
    unlink(path("vec.txt"));
    ok("readv_writev");
}

static void check_stdio(void)
{
    FILE *f = fopen(path("stdio.txt"), "w");
    if (!f)
        fail("stdio", "fopen for writing");
    long written = 0;
    for (int i = 1; i <= 5; i++) {
        int w = fprintf(f, "line %d: %d squared is %d\n", i, i, i * i);
        if (w <= 0)
            fail("stdio", "fprintf");
        written += w;
    }
    if (fclose(f) != 0)
        fail("stdio", "fclose");

    f = fopen(path("stdio.txt"), "r");
    if (!f)
        fail("stdio", "fopen for reading");
    char line[64];
    int n = 0, sum = 0;
    while (fgets(line, sizeof line, f)) {
        int i, sq;
        if (sscanf(line, "line %d: %*d squared is %d", &i, &sq) != 2)
            fail("stdio", "line does not parse");
        n++;
        sum += sq;
    }
    if (fseek(f, 0, SEEK_END) != 0 || ftell(f) != written)
        fail("stdio", "fseek/ftell");
    fclose(f);
    if (n != 5 || sum != 55)
        fail("stdio", "lines read back");
    unlink(path("stdio.txt"));
    printf("stdio: lines=%d sum=%d bytes=%ld\n", n, sum, written);
    ok("stdio");
}

static void check_access(void)
{
    int fd = open(path("acc"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("access", "open");
    close(fd);
    if (access(path("acc"), F_OK) != 0 || access(path("acc"), R_OK | W_OK) != 0)
        fail("access", "F_OK / R_OK|W_OK on an owned 0600 file");
    errno = 0;
    if (access(path("nope"), F_OK) != -1 || errno != ENOENT)
        fail("access", "missing file must give ENOENT");
    /* X_OK on a 0600 file fails even for root (no execute bit at all). */
    errno = 0;
    if (access(path("acc"), X_OK) != -1 || errno != EACCES)
        fail("access", "X_OK on a 0600 file must give EACCES");
    unlink(path("acc"));
    ok("access");
}

static void check_cwd(void)
{
    char saved[PATH_MAX], now[PATH_MAX];
    if (!getcwd(saved, sizeof saved))
        fail("getcwd_chdir", "getcwd");
    if (chdir(dir) != 0)
        fail("getcwd_chdir", "chdir");
    if (!getcwd(now, sizeof now))
        fail("getcwd_chdir", "getcwd after chdir");
    /* dir may contain symlinks (e.g. /tmp), so compare the last component. */
    const char *base = strrchr(dir, '/') + 1;
    const char *nbase = strrchr(now, '/');
    if (now[0] != '/' || !nbase || strcmp(nbase + 1, base) != 0)
        fail("getcwd_chdir", "getcwd does not name the new directory");
    /* Relative paths now resolve against the new directory. */
    int fd = open("relative.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("getcwd_chdir", "relative open");
    close(fd);
    if (access(path("relative.txt"), F_OK) != 0)
        fail("getcwd_chdir", "relative file not in the new directory");
    unlink("relative.txt");
    if (chdir("..") != 0 || !getcwd(now, sizeof now) ||
        strstr(now, base) != NULL)
        fail("getcwd_chdir", "chdir ..");
    if (chdir(saved) != 0)
        fail("getcwd_chdir", "chdir back");
    ok("getcwd_chdir");
}

static void check_mmap_file(void)
{
    int fd = open(path("mapped"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        fail("mmap_file", "open");
    char page[4096];
    for (size_t i = 0; i < sizeof page; i++)
        page[i] = (char)('a' + i % 26);
    write_all(fd, page, sizeof page, "mmap_file");
    write_all(fd, page, 100, "mmap_file"); /* second page only partly */

    char *shared = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *priv = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (shared == MAP_FAILED || priv == MAP_FAILED)
        fail("mmap_file", "mmap");
    if (memcmp(shared, page, sizeof page) != 0 || shared[4096 + 99] != 'v' ||
        shared[4096 + 100] != 0)
        fail("mmap_file", "mapped contents differ from the file");
    /* Shared stores reach the file; private stores do not. */
    memcpy(shared + 10, "SHARED", 6);
    memcpy(priv + 20, "PRIVATE", 7);
    if (msync(shared, 8192, MS_SYNC) != 0)
        fail("mmap_file", "msync");
    char buf[8];
    if (pread(fd, buf, 6, 10) != 6 || memcmp(buf, "SHARED", 6) != 0)
        fail("mmap_file", "MAP_SHARED store not in the file");
    if (pread(fd, buf, 7, 20) != 7 || memcmp(buf, page + 20, 7) != 0)
        fail("mmap_file", "MAP_PRIVATE store leaked into the file");
    /* A file write is visible through the shared mapping. */
    if (pwrite(fd, "WRITE", 5, 40) != 5 || memcmp(shared + 40, "WRITE", 5) != 0)
        fail("mmap_file", "file write not visible in MAP_SHARED mapping");
    munmap(shared, 8192);
    munmap(priv, 8192);
    close(fd);
    unlink(path("mapped"));
    ok("mmap_file");
}

static void check_pipe(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        fail("pipe", "pipe2");
    write_all(p[1], "through a pipe", 14, "pipe");
    close(p[1]);
    char buf[32];
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n != 14 || memcmp(buf, "through a pipe", 14) != 0)
        fail("pipe", "data");
    if (read(p[0], buf, sizeof buf) != 0)
        fail("pipe", "EOF after the writer closed");
    close(p[0]);
    ok("pipe");
}

static void check_proc_self_exe(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    /* The target names wherever the runner found the binary, so only
     * success and the shape of the answer are checked. */
    if (n <= 0 || buf[0] != '/')
        fail("readlink_proc_self_exe", "readlink did not return a path");
    ok("readlink_proc_self_exe");
}

static int remove_entry(const char *p, const struct stat *st, int type,
                        struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(p) : unlink(p);
}

static void check_cleanup(void)
{
    /* Checks remove their own files; anything left behind belongs to a
     * check that already reported its failure, so clear it quietly. */
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    errno = 0;
    if (access(dir, F_OK) != -1 || errno != ENOENT)
        fail("cleanup", "working directory still exists");
    ok("cleanup");
}

int main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : "/tmp";
    snprintf(dir, sizeof dir, "%s/faultline-fileio-%ld", base, (long)getpid());
    umask(022); /* so created modes are exactly as requested */
    if (mkdir(dir, 0700) != 0) {
        printf("FAIL setup: mkdir of the working directory: %s\n",
               strerror(errno));
        return 1;
    }
    ok("setup");

    run(check_open_rw);
    run(check_pread_pwrite_lseek);
    run(check_stat);
    run(check_ftruncate_fsync);
    run(check_rename_unlink);
    run(check_links);
    run(check_mkdir_readdir);
    run(check_dup_fcntl);
    run(check_readv_writev);
    run(check_stdio);
    run(check_access);
    run(check_cwd);
    run(check_mmap_file);
    run(check_pipe);
    run(check_proc_self_exe);
    run(check_cleanup);

    if (failures) {
        printf("fileio: %d check(s) failed\n", failures);
        return 1;
    }
    printf("fileio: all checks passed\n");
    return 0;
}
