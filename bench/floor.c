// The C floor for bench/fd.bench.js: the same syscall loops with no runtime in
// between, so each JS case can be read as "how far above the kernel cost".
//
//   floor <read-path> <write-path> [round-ms] [rounds] [case,case...]
//
// <read-path> is the 1 MiB file the JS cases read and lock; <write-path> is
// truncated and then appended to, 4 KiB + fsync a time, as the JS write cases
// do. Runs the named cases (default: all) and prints {"case": ns/op, ...} as
// one JSON line: the median over `rounds` timed rounds of `round-ms` each,
// after a warm-up half-round. Cases: open_read_close, pread_4k, write_fsync,
// flock_ex_un.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#define BUF 4096
#define MAX_ROUNDS 32

static const char *read_path;
static int read_fd = -1, write_fd = -1;
static char buf[BUF];

static void die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// O_CLOEXEC as rawsys and libuv both add it.
static void op_open_read_close(void) {
  int fd = open(read_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open");
  if (read(fd, buf, BUF) != BUF) die("read");
  if (close(fd) < 0) die("close");
}

static void op_pread(void) {
  if (pread(read_fd, buf, BUF, 0) != BUF) die("pread");
}

static void op_write_fsync(void) {
  if (write(write_fd, buf, BUF) != BUF) die("write");
  if (fsync(write_fd) < 0) die("fsync");
}

static void op_flock(void) {
  if (flock(read_fd, LOCK_EX) < 0) die("flock LOCK_EX");
  if (flock(read_fd, LOCK_UN) < 0) die("flock LOCK_UN");
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// ns/op of one round: ops run in batches so the clock (a vDSO call, ~20 ns)
// is read about once a millisecond, not once an op.
static double round_ns(void (*op)(void), double round_ns_budget, long batch) {
  long iters = 0;
  double start = now_ns(), t;
  do {
    for (long k = 0; k < batch; k++) op();
    iters += batch;
    t = now_ns();
  } while (t - start < round_ns_budget);
  return (t - start) / iters;
}

static double measure(void (*op)(void), double round_ms, int rounds) {
  // Warm-up doubles as calibration of the batch size.
  double est = round_ns(op, round_ms * 1e6 / 2, 1);
  long batch = (long)(1e6 / est);
  if (batch < 1) batch = 1;
  double r[MAX_ROUNDS];
  for (int i = 0; i < rounds; i++) r[i] = round_ns(op, round_ms * 1e6, batch);
  qsort(r, rounds, sizeof r[0], cmp_double);
  return rounds % 2 ? r[rounds / 2] : (r[rounds / 2 - 1] + r[rounds / 2]) / 2;
}

static const struct {
  const char *name;
  void (*op)(void);
} cases[] = {
    {"open_read_close", op_open_read_close},
    {"pread_4k", op_pread},
    {"write_fsync", op_write_fsync},
    {"flock_ex_un", op_flock},
};

// Whether `name` is in the comma-separated `list` (NULL: every case).
static int wanted(const char *list, const char *name) {
  if (!list) return 1;
  size_t n = strlen(name);
  for (const char *p = list; *p;) {
    const char *e = strchr(p, ',');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == n && strncmp(p, name, n) == 0) return 1;
    if (!e) break;
    p = e + 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <read-path> <write-path> [round-ms] [rounds] [case,case...]\n", argv[0]);
    return 2;
  }
  read_path = argv[1];
  double round_ms = argc > 3 ? atof(argv[3]) : 200;
  int rounds = argc > 4 ? atoi(argv[4]) : 5;
  const char *list = argc > 5 ? argv[5] : NULL;
  if (round_ms <= 0) round_ms = 200;
  if (rounds < 1 || rounds > MAX_ROUNDS) rounds = 5;

  read_fd = open(read_path, O_RDONLY | O_CLOEXEC);
  if (read_fd < 0) die("open read-path");
  write_fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (write_fd < 0) die("open write-path");
  memset(buf, 'x', BUF);

  const char *sep = "{";
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (!wanted(list, cases[i].name)) continue;
    printf("%s\"%s\":%.1f", sep, cases[i].name, measure(cases[i].op, round_ms, rounds));
    sep = ",";
  }
  printf("%s}\n", *sep == '{' ? "{" : "");
  close(read_fd);
  close(write_fd);
  return 0;
}
