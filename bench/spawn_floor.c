// The C floor for bench/spawn.bench.js: spawn /bin/true with an empty
// environment and reap it, with no runtime in between, so each JS case can be
// read as "how far above what the kernel and libc need for a spawn".
//
//   spawn_floor [round-ms] [rounds] [case,case...]
//
// Runs the named cases (default: all) and prints {"case": ns/op, ...} as one
// JSON line: the median over `rounds` timed rounds of `round-ms` each, after a
// warm-up half-round. Cases:
//   posix_spawn_wait  posix_spawn(2) + waitpid(2): the libc way (glibc 2.34+
//                     clones with CLONE_VM|CLONE_VFORK itself, so no page
//                     tables are copied).
//   clone_vfork_wait  clone(CLONE_VM|CLONE_VFORK) on a stack of our own +
//                     execve + waitpid: what rawsys.fork does, minus the
//                     plan and the signal-mask handling posix_spawn adds, so
//                     a lower bound rather than an equivalent.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 32
#define STACK (64 * 1024)

static const char *const PATH = "/bin/true";
static char *const ARGV[] = {"true", NULL};
static char *const ENVP[] = {NULL}; // empty, as the JS cases pass env: {} / []
static char *stack_top;

static void die(const char *what) {
  fprintf(stderr, "spawn_floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

// Reap `pid` and insist that /bin/true really ran: timing failed execs would
// give a floor that is too low.
static void reap(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) die("waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "spawn_floor: child status 0x%x\n", st);
    exit(1);
  }
}

static void op_posix_spawn(void) {
  pid_t pid;
  int e = posix_spawn(&pid, PATH, NULL, NULL, ARGV, ENVP);
  if (e) {
    errno = e;
    die("posix_spawn");
  }
  reap(pid);
}

static int child(void *arg) {
  (void)arg;
  execve(PATH, ARGV, ENVP);
  _exit(127); // exec failed; reap() reports it
}

static void op_clone_vfork(void) {
  // CLONE_VFORK: we resume once the child has exec'd (or exited), so one
  // stack serves every child in turn.
  pid_t pid = clone(child, stack_top, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
  if (pid < 0) die("clone");
  reap(pid);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

// ns/op of one round: ops run in batches so the clock is read about once a
// millisecond (a spawn takes hundreds of microseconds, so mostly once an op).
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
  // Warm-up (page cache, /bin/true's pages, ld.so) doubles as batch calibration.
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
    {"posix_spawn_wait", op_posix_spawn},
    {"clone_vfork_wait", op_clone_vfork},
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
  double round_ms = argc > 1 ? atof(argv[1]) : 200;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  const char *list = argc > 3 ? argv[3] : NULL;
  if (round_ms <= 0) round_ms = 200;
  if (rounds < 1 || rounds > MAX_ROUNDS) rounds = 5;

  char *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) die("mmap stack");
  stack_top = stack + STACK; // stacks grow down on every architecture Node supports

  const char *sep = "{";
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (!wanted(list, cases[i].name)) continue;
    printf("%s\"%s\":%.1f", sep, cases[i].name, measure(cases[i].op, round_ms, rounds));
    sep = ",";
  }
  printf("%s}\n", *sep == '{' ? "{" : "");
  return 0;
}
