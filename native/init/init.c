// rawsys-init: the PID 1 of a container, in about a hundred lines.
//
//   rawsys-init PAYLOAD_PID [FORWARD_MASK]
//
// Started by the plan step `init` (native/plan.cc): the plan's process
// forks the payload, then execs this program from a sealed memfd, so the
// payload is already its child when it starts. It
//  - forwards the signals in FORWARD_MASK (bit n-1 for signal n, decimal;
//    default SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGWINCH) to
//    the payload's pid (not its process group);
//  - reaps every child: the payload and every orphan reparented to it (it is
//    PID 1 of a pid namespace, or else a child subreaper);
//  - exits with the payload's status once the payload is reaped: its exit
//    code, or 128+n when signal n killed it. Orphans still running are then
//    killed by the kernel (pid namespace) or reparented further up.
// It never exits before the payload is reaped, except when the payload is
// not its child at all (exit 125, as for a bad command line).
//
// It sleeps in rt_sigtimedwait with every signal blocked: nothing is
// delivered asynchronously, so no handler, no race between a SIGCHLD and the
// wait, no busy loop. Signals that arrived before it started (pending
// signals survive execve) are handled by the first wait. A blocked signal is
// queued even for a pid namespace's init, which the kernel otherwise shields
// from signals it has no handler for.
//
// Built freestanding (no libc, see binding.gyp): raw system calls from
// ../rawcall.h, its own _start, no writable data (one read-only executable
// segment), every descriptor closed at start. x86_64 and aarch64.
#include <asm/signal.h>
#include <linux/errno.h>
#include <asm/unistd.h>
#include <linux/prctl.h>
#include <linux/wait.h>

#include "../rawcall.h"

#define BIT(sig) (1ULL << ((sig) - 1))

// Exit status when the command line is wrong or the payload is not our child.
#define EXIT_USAGE 125

struct k_sigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  unsigned long long mask;
};

static inline long sys(long n, long a, long b, long c, long d) { return rawsys_call6(n, a, b, c, d, 0, 0); }

static __attribute__((noreturn)) void quit(int code) {
  for (;;) sys(__NR_exit_group, code, 0, 0, 0);
}

static __attribute__((noreturn)) void usage(void) {
  static const char msg[] = "usage: rawsys-init PAYLOAD_PID [FORWARD_MASK]\n";
  sys(__NR_write, 2, (long)msg, sizeof msg - 1, 0);
  quit(EXIT_USAGE);
}

// A decimal number without sign, at most max: 1, or 0 if s is not one.
static int decimal(const char* s, unsigned long long max, unsigned long long* out) {
  unsigned long long v = 0;
  if (!s || !*s) return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return 0;
    unsigned d = (unsigned)(*s - '0');
    if (v > (max - d) / 10) return 0;
    v = v * 10 + d;
  }
  *out = v;
  return 1;
}

// Closes every descriptor: init needs none, and one it kept (a pipe's write
// end the payload writes to) would delay the reader's EOF until init exits.
static void close_all(void) {
  if (sys(__NR_close_range, 0, ~0U, 0, 0) == 0) return;  // Linux 5.9
  struct {
    unsigned long long cur, max;
  } rl;
  unsigned long long top = 1u << 20;  // descriptors above a lowered soft limit stay open: up to the hard one
  if (sys(__NR_prlimit64, 0, 7 /* RLIMIT_NOFILE */, 0, (long)&rl) == 0 && rl.max < top) top = rl.max;
  for (unsigned long long fd = 0; fd < top; fd++) sys(__NR_close, (long)fd, 0, 0, 0);
}

__attribute__((noreturn, used)) void init_main(long* sp) {
  long argc = sp[0];
  char** argv = (char**)(sp + 1);
  if (argc < 2 || argc > 3) usage();
  unsigned long long payload;
  if (!decimal(argv[1], 0x3fffffff, &payload) || payload == 0) usage();
  unsigned long long forward = BIT(SIGHUP) | BIT(SIGINT) | BIT(SIGQUIT) | BIT(SIGUSR1) | BIT(SIGUSR2) |
                               BIT(SIGTERM) | BIT(SIGWINCH);
  if (argc == 3) {
    if (!decimal(argv[2], ~0ULL, &forward)) usage();
    forward &= ~(BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGCHLD));
  }

  // Every signal blocked (the plan already has them blocked; this makes it
  // so whoever started us), and SIGCHLD at its default: an ignored SIGCHLD
  // survives execve and would make the kernel reap children behind our back.
  unsigned long long all = ~0ULL;
  sys(__NR_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, sizeof all);
  struct k_sigaction dfl = {SIG_DFL, 0, 0, 0};
  sys(__NR_rt_sigaction, SIGCHLD, (long)&dfl, 0, sizeof dfl.mask);
  // Orphans of the payload's descendants come to us even without a pid
  // namespace (Linux 3.4). In a pid namespace we are its init anyway. (The
  // init step sets it before the payload starts; it survives execve.)
  sys(__NR_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0);
  close_all();
  // Last: /proc/<pid>/comm reading rawsys-init means init is up and running.
  sys(__NR_prctl, PR_SET_NAME, (long)"rawsys-init", 0, 0);

  for (;;) {
    // Reap everything that has ended, the payload included. __WALL: also
    // children whose exit signal is not SIGCHLD.
    for (;;) {
      int status = 0;
      long pid = sys(__NR_wait4, -1, (long)&status, WNOHANG | __WALL, 0);
      if (pid == -EINTR) continue;
      if (pid == (long)payload && (status & 0xff) != 0x7f) {        // not a stop report
        if ((status & 0x7f) == 0) quit((status >> 8) & 0xff);  // exited
        quit(128 + (status & 0x7f));                            // killed by a signal
      }
      if (pid > 0) continue;  // an orphan
      if (pid == -ECHILD) quit(EXIT_USAGE);  // no children: the payload was never ours
      break;  // 0: children remain, none has ended
    }
    // Sleep until a signal; a SIGCHLD that came since the last wait4 is
    // still pending and returns at once. Any blocked signal wakes us and is
    // consumed, so nothing stays pending.
    long sig = sys(__NR_rt_sigtimedwait, (long)&all, 0, 0, sizeof all);
    if (sig > 0 && sig <= 64 && (forward & BIT(sig))) sys(__NR_kill, (long)payload, sig, 0, 0);
  }
}

// The entry point: the kernel leaves argc, argv, envp on the stack.
#if defined(__x86_64__)
__asm__(
    ".text\n"
    ".globl _start\n"
    ".type _start,@function\n"
    "_start:\n"
    "  xor %ebp, %ebp\n"
    "  mov %rsp, %rdi\n"
    "  and $-16, %rsp\n"
    "  call init_main\n"
    "  hlt\n");
#elif defined(__aarch64__)
__asm__(
    ".text\n"
    ".globl _start\n"
    ".type _start,%function\n"
    "_start:\n"
    "  mov x29, #0\n"
    "  mov x30, #0\n"
    "  mov x0, sp\n"
    "  bl init_main\n"
    "  udf #0\n");
#endif
