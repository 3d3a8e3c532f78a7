/*
 * The faulters of the inversion and fork_during_io guests: threads that read a
 * paged-out file mapping page by page, each read timed and marked, and page
 * their slice out again at its end so that the next pass reads from the
 * device again.  Include after guest_util.h and faultline.h.
 */
#ifndef FAULTER_H
#define FAULTER_H

#include <stdatomic.h>

/* One faulter's slice and where its results go. */
struct faulter {
    char *first;            /* the slice's first page */
    size_t slice;           /* its pages */
    size_t base;            /* the file page number of its first page */
    uint64_t (*tag)(size_t k);      /* what page k starts with */
    int (*skipped)(size_t k);       /* pages left alone (may be NULL) */
    struct fl_hist *hist;   /* the reads' latencies */
    atomic_int *stop;       /* set when the run is over */
    atomic_ulong *faulted;  /* pages read */
    atomic_ulong *bad;      /* pages that read back wrong */
};

/*
 * Reads the first word of every page of the slice in order, each read a trace
 * slice "faulter page read", checking its tag, until *stop; pages the slice
 * out with MADV_PAGEOUT after each pass (the instant "faulter pass done").
 */
__attribute__((unused))
static void faulter_run(const struct faulter *f)
{
    while (!atomic_load(f->stop)) {
        for (size_t k = 0; k < f->slice && !atomic_load(f->stop); k++) {
            if (f->skipped && f->skipped(f->base + k))
                continue;
            fl_trace_begin("faulter page read");
            uint64_t t0 = fl_now_ns();
            uint64_t w = *(volatile uint64_t *)(f->first + k * PAGE);
            uint64_t t1 = fl_now_ns();
            fl_trace_end();
            fl_hist_record(f->hist, t1 - t0);
            if (w != f->tag(f->base + k))
                atomic_fetch_add(f->bad, 1);
            atomic_fetch_add(f->faulted, 1);
        }
        /* Out again, so the next pass reads them from the device again. */
        if (!atomic_load(f->stop)) {
            fl_trace_instant("faulter pass done");
            madvise(f->first, f->slice * PAGE, MADV_PAGEOUT);
        }
    }
}

#endif
