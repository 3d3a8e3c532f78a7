/*
 * page_fault2: the will-it-scale page_fault2 benchmark (MAP_PRIVATE:
 * copy-on-write faults on file pages).
 * T threads each map their own file, store one byte per 4 KiB page and
 * unmap it, I times; see page_fault_file.h.
 *
 * Usage: page_fault2 [THREADS [ITERATIONS [SIZE_MIB [DIR]]]] [-v]
 *        defaults 2 threads, 4 iterations, 128 MiB, /tmp
 *
 * Prints the number of pages touched and one "ok" line per check; -v adds
 * the elapsed time and page rate on stderr.
 */
#include "page_fault_file.h"

int main(int argc, char **argv)
{
    return page_fault_file_main(argc, argv, "page_fault2", 0);
}
