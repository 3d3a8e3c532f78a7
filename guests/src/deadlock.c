/*
 * deadlock: two threads lock two mutexes in opposite order and certainly
 * deadlock.
 *
 * Thread a locks mutex A, thread b locks mutex B; both meet at a barrier;
 * then a locks B and b locks A.  Each prints its thread id first (one write,
 * flushed) so that a test can look for both in the report the virtual clock
 * prints when every thread waits.  The program never ends by itself: under
 * the host clock it hangs, so it is not in the manifest.
 */
#include "guest_util.h"
#include <sys/syscall.h>

static pthread_mutex_t mutex_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t mutex_b = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;

struct locker {
    const char *name;
    pthread_mutex_t *first, *second;
};

static void *lock_both(void *arg)
{
    const struct locker *l = arg;
    pthread_mutex_lock(l->first);
    printf("locker %s tid %ld\n", l->name, (long)syscall(SYS_gettid));
    fflush(stdout);
    pthread_barrier_wait(&both_hold_one);
    pthread_mutex_lock(l->second);
    fail("deadlock", "locker %s got both mutexes", l->name);
}

int main(void)
{
    static struct locker a = {"a", &mutex_a, &mutex_b}, b = {"b", &mutex_b, &mutex_a};
    pthread_t ta, tb;
    check_pthread(pthread_barrier_init(&both_hold_one, NULL, 2), "barrier_init");
    check_pthread(pthread_create(&ta, NULL, lock_both, &a), "create a");
    check_pthread(pthread_create(&tb, NULL, lock_both, &b), "create b");
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    fail("deadlock", "both lockers ended");
}
