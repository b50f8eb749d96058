/*
 * The floor of one small RADOS operation at one in flight, in C, for the ceph suite: how fast the
 * shape of a call can be, apart from any binding.
 *
 *   rados-floor MODE OP SECONDS CONF KEYRING POOL PREFIX COUNT
 *     MODE sync  the blocking call on the calling thread (python3-rados' shape at depth 1);
 *          aio   an aio operation whose completion callback (run by librados on its own thread)
 *                writes an eventfd the caller waits on with epoll: the shape of a binding whose
 *                event-loop thread never blocks.
 *     OP   write (4 KiB to PREFIX_<n>, new objects) or read (4 KiB from PREFIX_<n mod COUNT>).
 *   -> {"mode":..,"op":..,"perSec":..,"cpuUs":..,"csw":..}  (CPU time and context switches per
 *      operation, whole process)
 */
#include <rados/librados.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { SIZE = 4096 };
static int done_fd = -1;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double seconds_of(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

static void on_complete(rados_completion_t c, void *arg) {
  (void)c;
  (void)arg;
  uint64_t one = 1;
  if (write(done_fd, &one, sizeof one) != sizeof one) abort();
}

int main(int argc, char **argv) {
  if (argc < 9) {
    fprintf(stderr, "usage: rados-floor sync|aio write|read SECONDS CONF KEYRING POOL PREFIX COUNT\n");
    return 2;
  }
  const int aio = strcmp(argv[1], "aio") == 0;
  const int reading = strcmp(argv[2], "read") == 0;
  const long count = atol(argv[8]);
  rados_t cluster;
  rados_ioctx_t io;
  if (rados_create(&cluster, "admin") < 0 || rados_conf_read_file(cluster, argv[4]) < 0 ||
      rados_conf_set(cluster, "keyring", argv[5]) < 0 || rados_connect(cluster) < 0 ||
      rados_ioctx_create(cluster, argv[6], &io) < 0) {
    fprintf(stderr, "rados-floor: cannot connect\n");
    return 1;
  }
  char buf[SIZE];
  memset(buf, 0x5a, sizeof buf);
  int ep = -1;
  if (aio) {
    done_fd = eventfd(0, EFD_NONBLOCK);
    ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.fd = done_fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, done_fd, &e);
  }
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  long n = 0;
  char name[256];
  const double t0 = now();
  const double end = t0 + atof(argv[3]);
  while (now() < end) {
    snprintf(name, sizeof name, "%s_%ld", argv[7], reading ? n % count : n);
    int r;
    if (!aio) {
      r = reading ? rados_read(io, name, buf, SIZE, 0) : rados_write(io, name, buf, SIZE, 0);
    } else {
      rados_completion_t c;
      rados_aio_create_completion2(NULL, on_complete, &c);
      r = reading ? rados_aio_read(io, name, c, buf, SIZE, 0) : rados_aio_write(io, name, c, buf, SIZE, 0);
      if (r == 0) {
        struct epoll_event out;
        while (epoll_wait(ep, &out, 1, -1) < 1) {
        }
        uint64_t v;
        if (read(done_fd, &v, sizeof v) != sizeof v) abort();
        r = rados_aio_get_return_value(c);
      }
      rados_aio_release(c);
    }
    if (r < 0) {
      fprintf(stderr, "rados-floor: %s %s: %d\n", argv[2], name, r);
      return 1;
    }
    n++;
  }
  const double elapsed = now() - t0;
  getrusage(RUSAGE_SELF, &r1);
  const double cpu = seconds_of(r1.ru_utime) - seconds_of(r0.ru_utime) + seconds_of(r1.ru_stime) - seconds_of(r0.ru_stime);
  const long csw = (r1.ru_nvcsw - r0.ru_nvcsw) + (r1.ru_nivcsw - r0.ru_nivcsw);
  printf("{\"mode\":\"%s\",\"op\":\"%s\",\"ops\":%ld,\"perSec\":%.1f,\"cpuUs\":%.2f,\"csw\":%.3f}\n", argv[1], argv[2], n,
         (double)n / elapsed, cpu * 1e6 / (double)n, (double)csw / (double)n);
  rados_ioctx_destroy(io);
  rados_shutdown(cluster);
  return 0;
}
