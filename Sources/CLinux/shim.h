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
#include <sched.h>
#include <stdio.h>
#include <pthread.h>

/* accept4 sits behind _GNU_SOURCE in glibc's headers. */
extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
extern int pthread_setname_np(pthread_t thread, const char *name);

static inline FILE *medexpress_stderr(void) { return stderr; }
static inline FILE *medexpress_stdout(void) { return stdout; }

/* Pins the calling thread to one CPU (used by the benchmark's event loop option). */
static inline int medexpress_pin_thread_to_cpu(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}
#endif
