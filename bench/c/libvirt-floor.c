/*
 * The floor of one cheap libvirt call (virDomainGetInfo) at one in flight, in C, for the libvirt
 * suite: how fast the shape of a call can be, apart from any binding.
 *
 *   libvirt-floor MODE SECONDS URI DOMAIN [ev]
 *     MODE direct   the call on the calling thread (python3-libvirt's shape);
 *          handoff  the caller hands each call to a worker thread (condition variable) and waits
 *                   for its end on an eventfd through epoll: the shape of a binding that never
 *                   calls libvirt on its event-loop thread.
 *     ev            libvirt's default event loop registered and run on a thread of its own first
 *                   (what a client that receives events, and issue 7's binding, must have).
 *   -> {"mode":..,"ev":0|1,"perSec":..,"cpuUs":..,"csw":..}  (CPU time and context switches per
 *      call, whole process)
 */
#include <libvirt/libvirt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static virDomainPtr dom;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int pending = 0;
static int quit = 0;
static int done_fd = -1;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void call(void) {
  virDomainInfo info;
  if (virDomainGetInfo(dom, &info) < 0) abort();
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (!pending && !quit) pthread_cond_wait(&cv, &mu);
    if (quit) {
      pthread_mutex_unlock(&mu);
      return NULL;
    }
    pending = 0;
    pthread_mutex_unlock(&mu);
    call();
    uint64_t one = 1;
    if (write(done_fd, &one, sizeof one) != sizeof one) abort();
  }
}

static void *event_loop(void *arg) {
  (void)arg;
  for (;;) virEventRunDefaultImpl();
  return NULL;
}

static double seconds_of(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: libvirt-floor direct|handoff SECONDS URI DOMAIN [ev]\n");
    return 2;
  }
  const char *mode = argv[1];
  const int handoff = strcmp(mode, "handoff") == 0;
  const int ev = argc > 5 && strcmp(argv[5], "ev") == 0;
  if (ev) {
    virEventRegisterDefaultImpl();
    pthread_t t;
    pthread_create(&t, NULL, event_loop, NULL);
  }
  virConnectPtr conn = virConnectOpen(argv[3]);
  if (conn == NULL) return 1;
  dom = virDomainLookupByName(conn, argv[4]);
  if (dom == NULL) return 1;

  int ep = -1;
  pthread_t th;
  if (handoff) {
    done_fd = eventfd(0, EFD_NONBLOCK);
    ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.fd = done_fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &e);
    pthread_create(&th, NULL, worker, NULL);
  }
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  long n = 0;
  const double t0 = now();
  const double end = t0 + atof(argv[2]);
  while (now() < end) {
    if (!handoff) {
      call();
    } else {
      pthread_mutex_lock(&mu);
      pending = 1;
      pthread_cond_signal(&cv);
      pthread_mutex_unlock(&mu);
      struct epoll_event out;
      while (epoll_wait(ep, &out, 1, -1) < 1) {
      }
      uint64_t v;
      if (read(done_fd, &v, sizeof v) != sizeof v) abort();
    }
    n++;
  }
  const double elapsed = now() - t0;
  getrusage(RUSAGE_SELF, &r1);
  if (handoff) {
    pthread_mutex_lock(&mu);
    quit = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(th, NULL);
  }
  const double cpu = seconds_of(r1.ru_utime) - seconds_of(r0.ru_utime) + seconds_of(r1.ru_stime) - seconds_of(r0.ru_stime);
  const long csw = (r1.ru_nvcsw - r0.ru_nvcsw) + (r1.ru_nivcsw - r0.ru_nivcsw);
  printf("{\"mode\":\"%s\",\"ev\":%d,\"perSec\":%.1f,\"cpuUs\":%.2f,\"csw\":%.3f}\n", mode, ev, (double)n / elapsed, cpu * 1e6 / (double)n,
         (double)csw / (double)n);
  virDomainFree(dom);
  virConnectClose(conn);
  return 0;
}
