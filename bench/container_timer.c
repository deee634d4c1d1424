// Whole-process timer for bench/container.bench.js: starts a command RUNS
// times, one after the other, and prints the wall time of each start-to-exit
// (ns) as a JSON array, so every runtime (crun, runc, bwrap, the rawsys CLI,
// node -e 0) is timed the same way with no Node event loop in the way.
//
//   container_timer spawn RUNS -- PROGRAM [ARG...]
//       posix_spawn(2) + waitpid(2). A literal "{i}" in an argument becomes
//       "<pid>-<n>" (this timer's pid, the run's number): unique container
//       ids for crun/runc.
//   container_timer clone RUNS -- PROGRAM [ARG...]
//       The kernel floor of a container start: clone(2) with new pid, mount,
//       uts, ipc, net and cgroup namespaces, execve(2) of PROGRAM, waitpid(2);
//       no mounts, no cgroup, no seccomp, no capability changes.
//
// The children get /dev/null as stdin and stdout and this timer's stderr. A
// run that does not exit 0 stops the timer: it prints the run's status on
// stderr and exits 2 (a failed start is not a fast start).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "container_timer: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void reap(pid_t pid, long run) {
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) die("waitpid");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    if (WIFEXITED(st))
      fprintf(stderr, "container_timer: run %ld exited %d\n", run, WEXITSTATUS(st));
    else
      fprintf(stderr, "container_timer: run %ld killed by signal %d\n", run, WTERMSIG(st));
    exit(2);
  }
}

// argv with every "{i}" replaced by "<pid>-<run>" (allocated; the timer is
// short-lived, so the strings are not freed).
static char **expand(char **argv, int argc, long run) {
  char **out = calloc(argc + 1, sizeof *out);
  char tag[64];
  if (!out) die("calloc");
  snprintf(tag, sizeof tag, "%ld-%ld", (long)getpid(), run);
  for (int k = 0; k < argc; k++) {
    const char *at = strstr(argv[k], "{i}");
    if (!at) {
      out[k] = argv[k];
      continue;
    }
    size_t pre = at - argv[k];
    size_t len = strlen(argv[k]) - 3 + strlen(tag) + 1;
    out[k] = malloc(len);
    if (!out[k]) die("malloc");
    snprintf(out[k], len, "%.*s%s%s", (int)pre, argv[k], tag, at + 3);
  }
  return out;
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0 || (strcmp(argv[1], "spawn") && strcmp(argv[1], "clone"))) {
    fprintf(stderr, "usage: container_timer spawn|clone RUNS -- PROGRAM [ARG...]\n");
    return 1;
  }
  int clone_mode = strcmp(argv[1], "clone") == 0;
  long runs = strtol(argv[2], NULL, 10);
  char **cmd = argv + 4;
  int cmdc = argc - 4;
  if (runs < 1) runs = 1;
  double *t = calloc(runs, sizeof *t);
  if (!t) die("calloc");

  int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0) die("open /dev/null");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, devnull, 0);
  posix_spawn_file_actions_adddup2(&fa, devnull, 1);

  const unsigned long ns = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
  for (long r = 0; r < runs; r++) {
    char **args = clone_mode ? cmd : expand(cmd, cmdc, r);
    double start = now_ns();
    pid_t pid;
    if (clone_mode) {
      // fork-like clone (no stack argument): the child only dup2s and execs.
      pid = (pid_t)syscall(SYS_clone, ns | SIGCHLD, 0, 0, 0, 0);
      if (pid < 0) die("clone");
      if (pid == 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        execve(cmd[0], cmd, environ);
        _exit(127);
      }
    } else {
      int e = posix_spawn(&pid, args[0], &fa, NULL, args, environ);
      if (e) {
        errno = e;
        die(args[0]);
      }
    }
    reap(pid, r);
    t[r] = now_ns() - start;
  }
  printf("[");
  for (long r = 0; r < runs; r++) printf("%s%.0f", r ? "," : "", t[r]);
  printf("]\n");
  return 0;
}
