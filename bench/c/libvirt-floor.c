/*
 * The floor of one cheap libvirt call (virDomainGetInfo), in C, for the libvirt suite: how fast the
 * shape of a call can be, apart from any binding.
 *
 *   libvirt-floor MODE SECONDS URI DOMAIN EV INFLIGHT WORKERS
 *     MODE direct   the call on the calling thread: INFLIGHT threads each calling in a loop
 *                   (python3-libvirt's shape);
 *          handoff  one thread keeps INFLIGHT calls queued for a pool of WORKERS threads
 *                   (condition variable) and learns of their ends from an eventfd through epoll:
 *                   the shape of a binding that never calls libvirt on its event-loop thread. As
 *                   the binding's pool does, a finished call wakes the caller only when no call
 *                   waits for a worker (then the caller is the only source of more); the others
 *                   are counted and collected at that wake;
 *     EV   ev       libvirt's default event loop registered and run on a thread of its own first
 *                   (what a client that receives events, and issue 7's binding, must have); - not.
 *   -> {"mode":..,"ev":0|1,"inflight":..,"workers":..,"perSec":..,"cpuUs":..,"csw":..}  (CPU time
 *      and context switches per call, whole process)
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
static long queued = 0;   /* handoff: calls waiting for a worker */
static long finished = 0; /* handoff: calls ended since the caller last collected them */
static int signalled = 0; /* handoff: a wake is on its way for `finished` */
static int quit = 0;
static int done_fd = -1;
static double end_at = 0;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void call(void) {
  virDomainInfo info;
  if (virDomainGetInfo(dom, &info) < 0) abort();
}

/* direct: calls until the end, returns how many (through the pointer it was given). */
static void *caller(void *arg) {
  long k = 0;
  while (now() < end_at) {
    call();
    k++;
  }
  *(long *)arg = k;
  return NULL;
}

/* handoff: takes one queued call at a time and reports its end on the eventfd. */
static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&mu);
    while (queued == 0 && !quit) pthread_cond_wait(&cv, &mu);
    if (queued == 0) {
      pthread_mutex_unlock(&mu);
      return NULL;
    }
    queued--;
    pthread_mutex_unlock(&mu);
    call();
    pthread_mutex_lock(&mu);
    finished++;
    const int wake = queued == 0 && !signalled;
    if (wake) signalled = 1;
    pthread_mutex_unlock(&mu);
    uint64_t one = 1;
    if (wake && write(done_fd, &one, sizeof one) != sizeof one) abort();
  }
}

static void *event_loop(void *arg) {
  (void)arg;
  for (;;) virEventRunDefaultImpl();
  return NULL;
}

static void enqueue(long k) {
  pthread_mutex_lock(&mu);
  queued += k;
  if (k == 1)
    pthread_cond_signal(&cv);
  else
    pthread_cond_broadcast(&cv);
  pthread_mutex_unlock(&mu);
}

static double seconds_of(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: libvirt-floor direct|handoff SECONDS URI DOMAIN ev|- INFLIGHT WORKERS\n");
    return 2;
  }
  const char *mode = argv[1];
  const int handoff = strcmp(mode, "handoff") == 0;
  const int ev = strcmp(argv[5], "ev") == 0;
  const long inflight = atol(argv[6]);
  const long workers = handoff ? atol(argv[7]) : 0;
  if (inflight < 1 || (handoff && workers < 1)) {
    fprintf(stderr, "INFLIGHT and WORKERS must be at least 1\n");
    return 2;
  }
  if (ev) {
    virEventRegisterDefaultImpl();
    pthread_t t;
    pthread_create(&t, NULL, event_loop, NULL);
  }
  virConnectPtr conn = virConnectOpen(argv[3]);
  if (conn == NULL) return 1;
  dom = virDomainLookupByName(conn, argv[4]);
  if (dom == NULL) return 1;

  pthread_t *threads = calloc((size_t)(handoff ? workers : inflight), sizeof *threads);
  long *counts = calloc((size_t)inflight, sizeof *counts);
  int ep = -1;
  if (handoff) {
    done_fd = eventfd(0, EFD_NONBLOCK);
    ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.fd = done_fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &e);
    for (long i = 0; i < workers; i++) pthread_create(&threads[i], NULL, worker, NULL);
  }
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  long n = 0;
  const double t0 = now();
  end_at = t0 + atof(argv[2]);
  if (!handoff) {
    for (long i = 0; i < inflight; i++) pthread_create(&threads[i], NULL, caller, &counts[i]);
    for (long i = 0; i < inflight; i++) {
      pthread_join(threads[i], NULL);
      n += counts[i];
    }
  } else {
    /* Keeps INFLIGHT calls out until the end, then counts the ones still out as they finish. */
    long out = inflight;
    enqueue(inflight);
    while (out > 0) {
      struct epoll_event e;
      if (epoll_wait(ep, &e, 1, -1) < 1) continue;
      uint64_t v;
      if (read(done_fd, &v, sizeof v) != sizeof v) continue;
      pthread_mutex_lock(&mu);
      const long got = finished;
      finished = 0;
      signalled = 0;
      pthread_mutex_unlock(&mu);
      n += got;
      out -= got;
      if (got > 0 && now() < end_at) {
        enqueue(got);
        out += got;
      }
    }
  }
  const double elapsed = now() - t0;
  getrusage(RUSAGE_SELF, &r1);
  if (handoff) {
    pthread_mutex_lock(&mu);
    quit = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (long i = 0; i < workers; i++) pthread_join(threads[i], NULL);
  }
  const double cpu = seconds_of(r1.ru_utime) - seconds_of(r0.ru_utime) + seconds_of(r1.ru_stime) - seconds_of(r0.ru_stime);
  const long csw = (r1.ru_nvcsw - r0.ru_nvcsw) + (r1.ru_nivcsw - r0.ru_nivcsw);
  printf("{\"mode\":\"%s\",\"ev\":%d,\"inflight\":%ld,\"workers\":%ld,\"perSec\":%.1f,\"cpuUs\":%.2f,\"csw\":%.3f}\n", mode, ev, inflight, workers,
         (double)n / elapsed, cpu * 1e6 / (double)n, (double)csw / (double)n);
  virDomainFree(dom);
  virConnectClose(conn);
  free(threads);
  free(counts);
  return 0;
}
