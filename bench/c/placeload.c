/*
 * placeload in C, for the placement-http suite: the same requests as bench/http-client.ts's
 * placeload (per provider: create, inventories, aggregates, traits, in order), from CONCURRENCY
 * threads with a blocking keep-alive connection each (reopened after `Connection: close`, as uwsgi
 * answers). The suite's Node client costs ~70-90 us of CPU per request on the two cores it shares
 * with the server under test; this one costs the syscalls. It plays the part wrk plays for the GETs.
 *
 *   placeload HOST PORT COUNT CONCURRENCY TEMPLATE
 *     TEMPLATE  12 lines "METHOD<TAB>WHAT<TAB>PATH<TAB>BODY": the four steps of the three cycles,
 *               with {uuid} standing for the provider's uuid (written by the suite from the same
 *               steps its Node client sends).
 *   -> {"seconds":..,"requests":..,"retries":..,"connections":..,"cpuSeconds":..,
 *       "errors":{"POST create 409":n,..}}
 *
 * Every answer is framed (Content-Length, chunked, or read to the close) and its status checked:
 * 200 is success at microversion latest; a 5xx is sent again at most twice, as the Node client
 * does; anything else counts as an error and ends that provider.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { STEPS = 12, BUF = 1 << 16, MAX_ERRORS = 32 };

struct step {
  char method[8], what[32], path[256], body[1024];
};

static struct step steps[STEPS];
static struct sockaddr_in server;
static char host_header[64];
static long count;
static atomic_long next_provider;
static atomic_long requests, retries, connections;

static pthread_mutex_t errors_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
  char key[64];
  long n;
} errors[MAX_ERRORS];
static int error_kinds;

static void count_error(const char *method, const char *what, const char *status) {
  char key[64];
  snprintf(key, sizeof key, "%s %s %s", method, what, status);
  pthread_mutex_lock(&errors_mu);
  int i = 0;
  while (i < error_kinds && strcmp(errors[i].key, key) != 0) i++;
  if (i == error_kinds && error_kinds < MAX_ERRORS) snprintf(errors[error_kinds++].key, sizeof errors[0].key, "%s", key);
  if (i < error_kinds) errors[i].n++;
  pthread_mutex_unlock(&errors_mu);
}

/* Copies `template` into `out` with every {uuid} replaced; returns the length. */
static size_t expand(char *out, size_t cap, const char *template, const char *uuid) {
  size_t n = 0;
  for (const char *p = template; *p != '\0' && n + 37 < cap;) {
    if (strncmp(p, "{uuid}", 6) == 0) {
      memcpy(out + n, uuid, 36);
      n += 36;
      p += 6;
    } else {
      out[n++] = *p++;
    }
  }
  out[n] = '\0';
  return n;
}

struct conn {
  int fd;
  char buf[BUF];
  size_t have; /* bytes in buf not yet consumed */
};

static int open_conn(struct conn *c) {
  c->fd = socket(AF_INET, SOCK_STREAM, 0);
  if (c->fd < 0) return -1;
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(c->fd, (struct sockaddr *)&server, sizeof server) < 0) {
    close(c->fd);
    c->fd = -1;
    return -1;
  }
  c->have = 0;
  atomic_fetch_add(&connections, 1);
  return 0;
}

static void drop_conn(struct conn *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  c->have = 0;
}

static int fill(struct conn *c) {
  if (c->have == BUF) return -1;
  ssize_t r = read(c->fd, c->buf + c->have, BUF - c->have);
  if (r <= 0) return -1;
  c->have += (size_t)r;
  return 0;
}

static void consume(struct conn *c, size_t n) {
  memmove(c->buf, c->buf + n, c->have - n);
  c->have -= n;
}

/* Reads `n` body bytes (or to the close when n < 0). 0 on success. */
static int skip_body(struct conn *c, long n) {
  for (;;) {
    if (n >= 0 && (long)c->have >= n) {
      consume(c, (size_t)n);
      return 0;
    }
    if (n >= 0) n -= (long)c->have;
    c->have = 0;
    if (fill(c) < 0) return n < 0 ? 0 : -1;
  }
}

/* Reads one line ending in CRLF into `line` (without it). 0 on success. */
static int read_line(struct conn *c, char *line, size_t cap) {
  for (;;) {
    char *end = memmem(c->buf, c->have, "\r\n", 2);
    if (end != NULL) {
      size_t len = (size_t)(end - c->buf);
      if (len >= cap) return -1;
      memcpy(line, c->buf, len);
      line[len] = '\0';
      consume(c, len + 2);
      return 0;
    }
    if (fill(c) < 0) return -1;
  }
}

/* One request and its whole answer: the status, or 0 when it failed below HTTP. */
static int exchange(struct conn *c, const char *req, size_t len) {
  if (c->fd < 0 && open_conn(c) < 0) return 0;
  for (size_t off = 0; off < len;) {
    ssize_t w = write(c->fd, req + off, len - off);
    if (w <= 0) {
      drop_conn(c);
      return 0;
    }
    off += (size_t)w;
  }
  char line[1024];
  if (read_line(c, line, sizeof line) < 0 || strncmp(line, "HTTP/1.", 7) != 0) {
    drop_conn(c);
    return 0;
  }
  const int status = atoi(line + 9);
  const int http10 = line[7] == '0';
  long length = -1;
  int chunked = 0, keep = !http10;
  for (;;) {
    if (read_line(c, line, sizeof line) < 0) {
      drop_conn(c);
      return 0;
    }
    if (line[0] == '\0') break;
    if (strncasecmp(line, "content-length:", 15) == 0) length = atol(line + 15);
    else if (strncasecmp(line, "transfer-encoding:", 18) == 0 && strcasestr(line + 18, "chunked") != NULL) chunked = 1;
    else if (strncasecmp(line, "connection:", 11) == 0) {
      if (strcasestr(line + 11, "close") != NULL) keep = 0;
      else if (strcasestr(line + 11, "keep-alive") != NULL) keep = 1;
    }
  }
  int ok = 0;
  if (chunked) {
    for (;;) {
      if (read_line(c, line, sizeof line) < 0) break;
      long size = strtol(line, NULL, 16);
      if (size == 0) {
        while (read_line(c, line, sizeof line) == 0 && line[0] != '\0') {
        }
        ok = 1;
        break;
      }
      if (skip_body(c, size + 2) < 0) break;
    }
  } else if (length >= 0) {
    ok = skip_body(c, length) == 0;
  } else {
    ok = skip_body(c, -1) == 0;
    keep = 0;
  }
  if (!ok) {
    drop_conn(c);
    return 0;
  }
  if (!keep) drop_conn(c);
  return status;
}

static void random_uuid(char out[37], uint64_t *state) {
  static const char hex[] = "0123456789abcdef";
  unsigned char b[16];
  for (int i = 0; i < 16; i++) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    b[i] = (unsigned char)(*state >> 24);
  }
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  int n = 0;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[n++] = '-';
    out[n++] = hex[b[i] >> 4];
    out[n++] = hex[b[i] & 15];
  }
  out[n] = '\0';
}

static void *loader(void *arg) {
  uint64_t state = (uint64_t)(uintptr_t)arg * 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
  if (state == 0) state = 1;
  struct conn *c = malloc(sizeof *c);
  c->fd = -1;
  c->have = 0;
  static const char common[] = "x-auth-token: admin\r\nopenstack-api-version: placement latest\r\naccept: application/json\r\n";
  char path[320], body[1200], req[2048];
  for (;;) {
    const long i = atomic_fetch_add(&next_provider, 1);
    if (i >= count) break;
    char uuid[37];
    random_uuid(uuid, &state);
    for (int s = 0; s < 4; s++) {
      const struct step *st = &steps[(i % 3) * 4 + s];
      expand(path, sizeof path, st->path, uuid);
      const size_t blen = expand(body, sizeof body, st->body, uuid);
      const int rlen = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nhost: %s\r\n%scontent-type: application/json\r\ncontent-length: %zu\r\n\r\n%s",
                                st->method, path, host_header, common, blen, body);
      int status = exchange(c, req, (size_t)rlen);
      atomic_fetch_add(&requests, 1);
      for (int attempt = 1; attempt <= 2 && status >= 500; attempt++) {
        atomic_fetch_add(&retries, 1);
        status = exchange(c, req, (size_t)rlen);
        atomic_fetch_add(&requests, 1);
      }
      if (status != 200) {
        char code[16];
        snprintf(code, sizeof code, "%d", status);
        count_error(st->method, st->what, status == 0 ? "failed" : code);
        break;
      }
    }
  }
  drop_conn(c);
  free(c);
  return NULL;
}

static int read_template(const char *file) {
  FILE *f = fopen(file, "r");
  if (f == NULL) return -1;
  char line[2048];
  int n = 0;
  while (n < STEPS && fgets(line, sizeof line, f) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char *method = strtok(line, "\t"), *what = strtok(NULL, "\t"), *path = strtok(NULL, "\t"), *body = strtok(NULL, "\t");
    if (method == NULL || what == NULL || path == NULL || body == NULL) break;
    snprintf(steps[n].method, sizeof steps[n].method, "%s", method);
    snprintf(steps[n].what, sizeof steps[n].what, "%s", what);
    snprintf(steps[n].path, sizeof steps[n].path, "%s", path);
    snprintf(steps[n].body, sizeof steps[n].body, "%s", body);
    n++;
  }
  fclose(f);
  return n == STEPS ? 0 : -1;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: placeload HOST PORT COUNT CONCURRENCY TEMPLATE\n");
    return 2;
  }
  server.sin_family = AF_INET;
  server.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &server.sin_addr) != 1) {
    fprintf(stderr, "placeload: HOST must be an IPv4 address\n");
    return 2;
  }
  snprintf(host_header, sizeof host_header, "%s:%s", argv[1], argv[2]);
  count = atol(argv[3]);
  const long concurrency = atol(argv[4]);
  if (count < 0 || concurrency < 1 || read_template(argv[5]) < 0) {
    fprintf(stderr, "placeload: bad COUNT, CONCURRENCY or TEMPLATE (12 lines METHOD<TAB>WHAT<TAB>PATH<TAB>BODY)\n");
    return 2;
  }
  pthread_t *threads = calloc((size_t)concurrency, sizeof *threads);
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);
  const double t0 = now();
  for (long i = 0; i < concurrency; i++) pthread_create(&threads[i], NULL, loader, (void *)(uintptr_t)(i + 1));
  for (long i = 0; i < concurrency; i++) pthread_join(threads[i], NULL);
  const double seconds = now() - t0;
  getrusage(RUSAGE_SELF, &r1);
  const double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
                     (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  printf("{\"seconds\":%.6f,\"requests\":%ld,\"retries\":%ld,\"connections\":%ld,\"cpuSeconds\":%.6f,\"errors\":{", seconds, atomic_load(&requests),
         atomic_load(&retries), atomic_load(&connections), cpu);
  for (int i = 0; i < error_kinds; i++) printf("%s\"%s\":%ld", i == 0 ? "" : ",", errors[i].key, errors[i].n);
  printf("}}\n");
  free(threads);
  return 0;
}
