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

#include "measure.h"

#define BUF 4096

static const char *read_path;
static int read_fd = -1, write_fd = -1;
static char buf[BUF];

static void die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  exit(1);
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

static const struct {
  const char *name;
  void (*op)(void);
} cases[] = {
    {"open_read_close", op_open_read_close},
    {"pread_4k", op_pread},
    {"write_fsync", op_write_fsync},
    {"flock_ex_un", op_flock},
};

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
