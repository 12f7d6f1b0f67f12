#ifndef MEDEXPRESS_CLINUX_SHIM_H
#define MEDEXPRESS_CLINUX_SHIM_H
/* Linux interfaces the Glibc module does not expose. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <stdio.h>
#include <pthread.h>

/* accept4 sits behind _GNU_SOURCE in glibc's headers. */
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
extern int pthread_setname_np(pthread_t thread, const char *name);

static inline FILE *medexpress_stderr(void) { return stderr; }
static inline FILE *medexpress_stdout(void) { return stdout; }

/* sched_setaffinity sits behind _GNU_SOURCE too; the mask is a plain bit array (1024 CPUs). */
extern int sched_setaffinity(int pid, size_t cpusetsize, const unsigned long *mask);

/* Pins the calling thread to one CPU (used by the benchmarks' --pin-cpus option). */
static inline int medexpress_pin_thread_to_cpu(int cpu) {
    unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {0};
    if (cpu < 0 || cpu >= 1024) return -1;
    mask[cpu / (8 * sizeof(unsigned long))] |= 1UL << (cpu % (8 * sizeof(unsigned long)));
    return sched_setaffinity(0, sizeof(mask), mask);
}
#endif
