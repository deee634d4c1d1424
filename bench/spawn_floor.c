// The C floor for bench/spawn.bench.js and bench/exec.bench.js: spawn
// /bin/true and reap it, with no runtime in between, so each JS case can be
// read as "how far above what the kernel and libc need for a spawn".
//
//   spawn_floor [round-ms] [rounds] [case,case...] [ballast-MiB]
//
// Runs the named cases (default: all) and prints {"case": ns/op, ...} as one
// JSON line: the median over `rounds` timed rounds of `round-ms` each, after a
// warm-up half-round. With `ballast-MiB`, that much memory is malloc'd and
// touched first, so the spawns happen from a process that large. Cases:
//   posix_spawn_wait  posix_spawn(2) + waitpid(2) with an empty environment:
//                     the libc way (glibc 2.34+ clones with CLONE_VM|
//                     CLONE_VFORK itself, so no page tables are copied).
//   posix_spawn_environ
//                     the same, passing on this process's environment, as
//                     a JS spawn does when given no env.
//   posix_spawn_100   with this process's environment, 100 children in
//                     flight from one thread: each op reaps any child
//                     (waitpid(-1)) and spawns the next; ns/op is the time
//                     per spawn at that steady state (1e9 / spawns per s).
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

#include "measure.h"

#define STACK (64 * 1024)
#define INFLIGHT 100

extern char **environ;

static const char *const PATH = "/bin/true";
static char *const ARGV[] = {"true", NULL};
static char *const ENVP[] = {NULL}; // empty, as the JS cases pass env: {} / []
static char *stack_top;

static void die(const char *what) {
  fprintf(stderr, "spawn_floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

// Reap `pid` (-1: any child) and insist that /bin/true really ran: timing
// failed execs would give a floor that is too low.
static void reap(pid_t pid) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) die("waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "spawn_floor: child status 0x%x\n", st);
    exit(1);
  }
}

static pid_t spawn_true(char *const envp[]) {
  pid_t pid;
  int e = posix_spawn(&pid, PATH, NULL, NULL, ARGV, envp);
  if (e) {
    errno = e;
    die("posix_spawn");
  }
  return pid;
}

static void op_posix_spawn(void) { reap(spawn_true(ENVP)); }

static void op_posix_spawn_environ(void) { reap(spawn_true(environ)); }

char *ballast; // global, so the compiler cannot drop the allocation
static int live; // children of posix_spawn_100 not yet reaped

static void op_posix_spawn_100(void) {
  // The first op fills the window; every op then reaps one and starts one.
  while (live < INFLIGHT) {
    spawn_true(environ);
    live++;
  }
  reap(-1);
  live--;
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

static const struct {
  const char *name;
  void (*op)(void);
} cases[] = {
    {"posix_spawn_wait", op_posix_spawn},
    {"posix_spawn_environ", op_posix_spawn_environ},
    {"posix_spawn_100", op_posix_spawn_100},
    {"clone_vfork_wait", op_clone_vfork},
};

int main(int argc, char **argv) {
  double round_ms = argc > 1 ? atof(argv[1]) : 200;
  int rounds = argc > 2 ? atoi(argv[2]) : 5;
  const char *list = argc > 3 && *argv[3] ? argv[3] : NULL;
  long ballast_mib = argc > 4 ? atol(argv[4]) : 0;
  if (round_ms <= 0) round_ms = 200;
  if (rounds < 1 || rounds > MAX_ROUNDS) rounds = 5;
  if (ballast_mib > 0) {
    // Resident, written memory: what a fork() would have to copy page tables for.
    size_t n = (size_t)ballast_mib << 20;
    ballast = malloc(n);
    if (!ballast) die("malloc ballast");
    memset(ballast, 1, n);
  }

  char *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) die("mmap stack");
  stack_top = stack + STACK; // stacks grow down on every architecture Node supports

  const char *sep = "{";
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (!wanted(list, cases[i].name)) continue;
    printf("%s\"%s\":%.1f", sep, cases[i].name, measure(cases[i].op, round_ms, rounds));
    sep = ",";
    for (; live > 0; live--) reap(-1); // posix_spawn_100's last window
  }
  printf("%s}\n", *sep == '{' ? "{" : "");
  return 0;
}
