// Child plans: fork/clone that never return into JavaScript in the child.
//
// Node's V8 heap is mapped MADV_DONTFORK, so a child that touches JS after a
// bare fork() segfaults. Instead TypeScript compiles a list of steps into a
// flat record array (8 int64 words a step, strings by index into a table);
// this file resolves it into Step structs with real pointers, in the parent,
// before the clone. The child then runs ChildMain: raw syscalls only (see
// rawcall.h), no allocation, no locks, no libc state, ending in execve or
// exit_group. A failing step writes {step index, errno} to a close-on-exec
// pipe and exits 127; the parent reads that pipe until EOF (exec closed it)
// and, on failure, reaps the child before reporting — Go's forkExec protocol.
//
// Creation, cheapest first:
//  - clone(CLONE_VM|CLONE_VFORK) on a stack of our own when the plan needs
//    nothing from the parent: no page tables copied, whatever the heap size;
//    the parent thread is suspended until the child execs or exits.
//  - clone3 (Linux 5.3) without CLONE_VM when the parent must act while the
//    child waits (writing user-namespace uid/gid maps) or for
//    CLONE_INTO_CGROUP (5.7); raw clone when clone3 is missing (ENOSYS).
// CLONE_PIDFD (5.2) is always asked for; on older kernels pidfd is -1.
//
// Signals: the parent blocks every signal around the clone so that no Node
// handler can run in the child; the child resets every disposition to the
// default (as libuv's spawn does) and sets the plan's mask just before execve.
//
// The init step (RunInit) splits the child in two: a new process, made like
// the vfork child above (CLONE_VM|CLONE_VFORK, on a stack carved below the
// current one), runs the rest of the plan and becomes the payload; once it
// has exec'd or exited, the original child execs rawsys-init (native/init)
// from its sealed memfd, which reaps the payload and exits with its status.
// Both ends of the error pipe are close-on-exec, so the parent's read still
// sees EOF only when the payload exec'd and init started, and a failing later
// step of the payload reaches it as usual.
#include "common.h"
#include "rawcall.h"

#include <fcntl.h>
#include <linux/filter.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442  // the same number on every architecture (asm-generic table)
#endif

namespace rawsys {
namespace {

// mount_setattr(2)'s argument (Linux 5.12), declared here: glibc < 2.36 lacks it.
struct MountAttr {
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

// Step opcodes: mirrored by the Op enum in src/plan.ts.
enum Op : int64_t {
  kDup2 = 1,        // old, new
  kClose,           // fd
  kCloseRange,      // first, last, flags
  kChdir,           // s:path
  kFchdir,          // fd
  kSetsid,          //
  kSetpgid,         // pid, pgid
  kSethostname,     // s:name
  kUnshare,         // flags
  kSetns,           // fd, nstype
  kMount,           // s:source|-1, s:target, s:fstype|-1, flags, s:data|-1
  kUmount2,         // s:target, flags
  kPivotRoot,       // s:new_root, s:put_old
  kChroot,          // s:path
  kSetgroups,       // b:gids (uint32 array)
  kSetresgid,       // r, e, s
  kSetresuid,       // r, e, s
  kPrctl,           // option, a2, a3, a4, a5  (a2 may be s: for PR_SET_NAME, flagged by w[7])
  kCapBsetDrop,     // cap
  kCapset,          // eff lo, eff hi, perm lo, perm hi, inh lo, inh hi (32-bit halves)
  kCapAmbientRaise, // cap
  kSetrlimit,       // resource, soft, hard  (-1 = infinity)
  kSigmask,         // set (64-bit mask of signals 1..64) applied before execve
  kWrite,           // fd, b:bytes
  kKill,            // pid, sig
  kExecve,          // s:path, argv start, argv count, env start, env count
  kExit,            // code
  kLandlock,        // ruleset fd
  kSeccomp,         // b:filter (struct sock_filter[]), flags
  kMkdir,           // s:path, mode, exist_ok
  kMknod,           // s:path, mode, dev
  kSymlink,         // s:target, s:linkpath
  kTouch,           // s:path, mode
  kMountSetattr,    // s:path, at flags, attr_set, attr_clr, propagation
  kLinkUp,          // s:interface name
  kInit,            // fd (init image memfd), s:forward mask (decimal)
  kOpCount,
};

struct Step {
  int64_t w[8];
  const char* s[3];  // resolved strings
  const void* b;     // resolved byte buffer
  size_t blen;
  char* const* argv;  // execve
  char* const* envp;
};

struct Plan {
  Step* steps = nullptr;
  int n = 0;
  int errfd = -1;   // write end of the error pipe
  int syncfd = -1;  // read end of the go-ahead pipe, or -1
  int initfd = -1;  // the init image of an init step: close steps spare it
  uint64_t sigmask = 0;
};

struct KSigaction {
  void* handler;
  unsigned long flags;
  void* restorer;
  uint64_t mask;
};

struct CapHeader {
  uint32_t version;
  int pid;
};
struct CapData {
  uint32_t effective, permitted, inheritable;
};

[[noreturn]] void ChildFail(const Plan* p, int step, long err) {
  int32_t msg[2] = {step, (int32_t)-err};
  raw::Call(SYS_write, p->errfd, msg, sizeof msg);
  raw::Call(SYS_exit_group, 127);
  __builtin_unreachable();
}

long CloseRange(unsigned first, unsigned last, unsigned flags) {
#ifdef SYS_close_range
  long r = raw::Call(SYS_close_range, first, last, flags);
  if (r != -ENOSYS) return r;
#endif
  if (flags != 0) return -EINVAL;  // CLOSE_RANGE_CLOEXEC needs the syscall (5.11)
  struct rlimit64 {
    uint64_t cur, max;
  } rl;
  // Up to the hard limit: descriptors above a lowered soft limit stay open.
  if (raw::Call(SYS_prlimit64, 0, RLIMIT_NOFILE, 0, &rl) < 0 || rl.max > (1u << 20)) rl.max = 1u << 20;
  uint64_t end = last < rl.max ? last : rl.max - 1;
  for (uint64_t fd = first; fd <= end; fd++) raw::Call(SYS_close, fd);
  return 0;
}

__attribute__((noinline)) long RunInit(const Plan* p, int k);

long RunStep(const Plan* p, int k) {
  const Step& st = p->steps[k];
  const int64_t* w = st.w;
  switch (w[0]) {
    case kDup2:
      if (w[1] == w[2]) return raw::Call(SYS_fcntl, w[1], F_SETFD, 0);  // keep it across exec
      return raw::Call(SYS_dup3, w[1], w[2], 0);
    case kClose: return raw::Call(SYS_close, w[1]);
    case kCloseRange: {
      // Never close the error pipe (it reports execve's own failure) nor the
      // init image (an init step still needs it).
      unsigned first = (unsigned)w[1], last = (unsigned)w[2];
      int keep[2] = {p->errfd, p->initfd};  // -1: none
      if (keep[0] > keep[1]) keep[0] = p->initfd, keep[1] = p->errfd;
      for (int kept : keep) {
        unsigned k = (unsigned)kept;
        if (kept < 0 || k < first || k > last) continue;
        if (k > first) {
          long r = CloseRange(first, k - 1, (unsigned)w[3]);
          if (r < 0) return r;
        }
        if (k == last) return 0;
        first = k + 1;
      }
      return CloseRange(first, last, (unsigned)w[3]);
    }
    case kChdir: return raw::Call(SYS_chdir, st.s[0]);
    case kFchdir: return raw::Call(SYS_fchdir, w[1]);
    case kSetsid: return raw::Call(SYS_setsid);
    case kSetpgid: return raw::Call(SYS_setpgid, w[1], w[2]);
    case kSethostname: return raw::Call(SYS_sethostname, st.s[0], strlen(st.s[0]));
    case kUnshare: return raw::Call(SYS_unshare, w[1]);
    case kSetns: return raw::Call(SYS_setns, w[1], w[2]);
    case kMount: return raw::Call(SYS_mount, st.s[0], st.s[1], st.s[2], w[4], (const void*)st.b);
    case kUmount2: return raw::Call(SYS_umount2, st.s[0], w[2]);
    case kPivotRoot: return raw::Call(SYS_pivot_root, st.s[0], st.s[1]);
    case kChroot: return raw::Call(SYS_chroot, st.s[0]);
    case kSetgroups: return raw::Call(SYS_setgroups, st.blen / sizeof(uint32_t), st.b);
    case kSetresgid: return raw::Call(SYS_setresgid, w[1], w[2], w[3]);
    case kSetresuid: return raw::Call(SYS_setresuid, w[1], w[2], w[3]);
    case kPrctl:
      if (w[7]) return raw::Call(SYS_prctl, w[1], st.s[0], w[3], w[4], w[5]);
      return raw::Call(SYS_prctl, w[1], w[2], w[3], w[4], w[5]);
    case kCapBsetDrop: return raw::Call(SYS_prctl, PR_CAPBSET_DROP, w[1], 0, 0, 0);
    case kCapset: {
      CapHeader h = {0x20080522 /* _LINUX_CAPABILITY_VERSION_3 */, 0};
      CapData d[2] = {{(uint32_t)w[1], (uint32_t)w[3], (uint32_t)w[5]}, {(uint32_t)w[2], (uint32_t)w[4], (uint32_t)w[6]}};
      return raw::Call(SYS_capset, &h, d);
    }
    case kCapAmbientRaise: return raw::Call(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, w[1], 0, 0);
    case kSetrlimit: {
      struct {
        uint64_t cur, max;
      } rl = {(uint64_t)w[2], (uint64_t)w[3]};
      return raw::Call(SYS_prlimit64, 0, w[1], &rl, 0);
    }
    case kSigmask: return 0;  // applied right before execve
    case kWrite: {
      const char* b = (const char*)st.b;
      size_t left = st.blen;
      while (left > 0) {
        long r = raw::Call(SYS_write, w[1], b, left);
        if (r == -EINTR) continue;
        if (r < 0) return r;
        b += r;
        left -= (size_t)r;
      }
      return 0;
    }
    case kKill: return raw::Call(SYS_kill, w[1], w[2]);
    case kExecve: {
      uint64_t mask = p->sigmask;
      raw::Call(SYS_rt_sigprocmask, SIG_SETMASK, &mask, 0, sizeof mask);
      long r = raw::Call(SYS_execve, st.s[0], st.argv, st.envp);
      uint64_t all = ~0ULL;
      raw::Call(SYS_rt_sigprocmask, SIG_SETMASK, &all, 0, sizeof all);
      return r;
    }
    case kExit: raw::Call(SYS_exit_group, w[1]); return 0;
    case kLandlock:
      // Restricts this process (its only thread) and everything it execs.
      // EPERM without no_new_privs or CAP_SYS_ADMIN; the fd stays open.
#ifdef SYS_landlock_restrict_self
      return raw::Call(SYS_landlock_restrict_self, w[1], 0);
#else
      return -ENOSYS;
#endif
    case kMkdir: {
      long r = raw::Call(SYS_mkdirat, AT_FDCWD, st.s[0], w[2]);
      return r == -EEXIST && w[3] ? 0 : r;
    }
    case kMknod: return raw::Call(SYS_mknodat, AT_FDCWD, st.s[0], w[2], w[3]);
    case kSymlink: return raw::Call(SYS_symlinkat, st.s[0], AT_FDCWD, st.s[1]);
    case kTouch: {
      long fd = raw::Call(SYS_openat, AT_FDCWD, st.s[0], O_WRONLY | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, w[2]);
      if (fd < 0) return fd;
      raw::Call(SYS_close, fd);
      return 0;
    }
    case kMountSetattr: {
      MountAttr attr = {(uint64_t)w[3], (uint64_t)w[4], (uint64_t)w[5], 0};
      return raw::Call(SYS_mount_setattr, AT_FDCWD, st.s[0], w[2], &attr, sizeof attr);
    }
    case kLinkUp: {
      // SIOCGIFFLAGS / SIOCSIFFLAGS on a throw-away socket of the child's
      // (new) network namespace.
      long sock = raw::Call(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
      if (sock < 0) return sock;
      struct ifreq ifr;
      memset(&ifr, 0, sizeof ifr);
      size_t n = strlen(st.s[0]);
      if (n >= IFNAMSIZ) n = IFNAMSIZ - 1;
      memcpy(ifr.ifr_name, st.s[0], n);
      long r = raw::Call(SYS_ioctl, sock, SIOCGIFFLAGS, &ifr);
      if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = raw::Call(SYS_ioctl, sock, SIOCSIFFLAGS, &ifr);
      }
      raw::Call(SYS_close, sock);
      return r;
    }
    case kSeccomp: {
      // Needs no_new_privs or CAP_SYS_ADMIN (else EACCES); the filter then
      // applies to every later step, execve included.
      struct sock_fprog prog;
      prog.len = (unsigned short)(st.blen / sizeof(struct sock_filter));
      prog.filter = (struct sock_filter*)st.b;  // the kernel copies it; no alignment needed
      return raw::Call(SYS_seccomp, SECCOMP_SET_MODE_FILTER, w[2], &prog);  // Linux 3.17
    }
    case kInit: return RunInit(p, k);
    default: return -EINVAL;
  }
}

// Runs steps [from, n) and ends the process: by execve, exit, or ChildFail.
[[noreturn]] void RunPlan(const Plan* p, int from) {
  for (int k = from; k < p->n; k++) {
    long r;
    do r = RunStep(p, k);
    while (r == -EINTR && p->steps[k].w[0] != kClose && p->steps[k].w[0] != kInit);
    if (r < 0) ChildFail(p, k, r);
  }
  raw::Call(SYS_exit_group, 0);
  __builtin_unreachable();
}

// clone(flags) whose child runs fn(arg) on `stack` (its top) and exits with
// what fn returns; the caller gets the child's pid or -errno. No libc (its
// clone() would set errno, the parent thread's in a CLONE_VM child). The
// child's half never leaves the asm block: it has no frame to return to.
// clone(2) or clone3(2) (`nr`, with its first two arguments) for a child
// whose stack already holds fn and arg at its top: the child pops them, runs
// fn(arg) and exits with its result. The parent gets the pid or -errno.
long CloneCall(long nr, long a0, long a1) {
#if defined(__x86_64__)
  long ret;
  register long r10 __asm__("r10") = 0;  // clone: child_tid
  register long r8 __asm__("r8") = 0;    // clone: tls
  __asm__ volatile(
      "syscall\n"
      "test %%rax, %%rax\n"
      "jnz 1%=f\n"
      "xor %%ebp, %%ebp\n"  // the child: outermost frame
      "pop %%rax\n"         // fn
      "pop %%rdi\n"         // arg; %rsp is 16-byte aligned again
      "call *%%rax\n"
      "mov %%eax, %%edi\n"
      "mov %[exit], %%eax\n"
      "syscall\n"
      "hlt\n"
      "1%=:\n"
      : "=a"(ret)
      : "a"(nr), "D"(a0), "S"(a1), "d"(0L), "r"(r10), "r"(r8), [exit] "i"(SYS_exit_group)
      : "rcx", "r11", "memory");
  return ret;
#elif defined(__aarch64__)
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a0;
  register long x1 __asm__("x1") = a1;
  register long x2 __asm__("x2") = 0;  // clone: parent_tid
  register long x3 __asm__("x3") = 0;  // clone: tls
  register long x4 __asm__("x4") = 0;  // clone: child_tid
  __asm__ volatile(
      "svc 0\n"
      "cbnz x0, 1%=f\n"
      "ldp x1, x0, [sp], #16\n"  // the child: fn, arg; sp 16-byte aligned again
      "mov x29, xzr\n"
      "mov x30, xzr\n"
      "blr x1\n"
      "mov x8, %[exit]\n"
      "svc 0\n"
      "udf #0\n"
      "1%=:\n"
      : "+r"(x0)
      : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), [exit] "i"(SYS_exit_group)
      : "memory");
  return x0;
#endif
}

// Puts fn and arg at the 16-byte aligned top of a stack ending at `end`;
// returns that top, where the child starts.
uintptr_t* StackTop(void* end, int (*fn)(void*), void* arg) {
  uintptr_t* sp = (uintptr_t*)(((uintptr_t)end & ~(uintptr_t)15) - 16);
  sp[0] = (uintptr_t)fn;
  sp[1] = (uintptr_t)arg;
  return sp;
}

long CloneOnStack(unsigned long flags, void* stack, int (*fn)(void*), void* arg) {
  return CloneCall(SYS_clone, (long)flags, (long)StackTop(stack, fn, arg));
}

struct Resume {
  const Plan* p;
  int next;
};

// The step index reported when the init step's clone fails (see Spawn).
constexpr int kInitCloneFailed = -5;

int PayloadMain(void* arg) {
  const Resume* r = (const Resume*)arg;
  RunPlan(r->p, r->next);
}

// The init step, in the child (PID 1 when the clone made a pid namespace).
// Returns only on failure, with the payload gone.
__attribute__((noinline)) long RunInit(const Plan* p, int k) {
  const Step& st = p->steps[k];
  Resume res = {p, k + 1};
  // A subreaper from now on (init sets it again; it survives execve): the
  // payload runs before init does, and its orphans must come to us.
  raw::Call(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  // The payload's stack: below ours. We are suspended (CLONE_VFORK) while it
  // runs, so nothing else uses that memory; the gap keeps our own frame and
  // x86_64's red zone out of reach. The plan's remaining steps need well
  // under a page; the vfork path's stack has 256 KiB, the fork path runs on
  // a copy of the calling thread's stack, below which V8 leaves far more.
  char here;
  uintptr_t top = (uintptr_t)&here - 4096;
  long pid = CloneOnStack(CLONE_VM | CLONE_VFORK | SIGCHLD, (void*)top, PayloadMain, &res);
  if (pid < 0) ChildFail(p, kInitCloneFailed, pid);  // reported as clone, not as the step's execveat
  // The payload has exec'd or exited (through its plan, maybe with an error
  // report). Its pid in decimal, for init's argv.
  char num[16];
  char* d = num + sizeof num;
  *--d = 0;
  unsigned long v = (unsigned long)pid;
  do *--d = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  const char* argv[] = {"rawsys-init", d, st.s[0], nullptr};
  const char* envp[] = {nullptr};
  long r = raw::Call(SYS_execveat, st.w[1], "", argv, envp, AT_EMPTY_PATH);
  // No init: nothing would ever reap the payload or report its status.
  raw::Call(SYS_kill, pid, SIGKILL);
  long w;
  do w = raw::Call(SYS_wait4, pid, 0, __WALL, 0);
  while (w == -EINTR);
  return r;
}

// The child. Runs on a stack of its own (vfork path) or on a copy of the
// parent's (fork path). Async-signal-safe throughout.
int ChildMain(void* arg) {
  const Plan* p = (const Plan*)arg;
  // Every signal is blocked (inherited from the parent's clone window).
  // Default dispositions for all, so no handler of Node's can ever run here.
  KSigaction dfl = {(void*)SIG_DFL, 0, nullptr, 0};
  for (int sig = 1; sig <= 64; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    raw::Call(SYS_rt_sigaction, sig, &dfl, 0, 8);
  }
  if (p->syncfd >= 0) {
    // Wait until the parent has done its part (uid/gid maps); EOF without a
    // byte means the parent gave up.
    char c;
    long r;
    do r = raw::Call(SYS_read, p->syncfd, &c, 1);
    while (r == -EINTR);
    if (r != 1) raw::Call(SYS_exit_group, 127);
    raw::Call(SYS_close, p->syncfd);
  }
  RunPlan(p, 0);
}

// Resolves string/buffer indexes of every step into pointers. The strings
// live in `arena` (one allocation), which outlives the clone.
struct Strings {
  char* arena = nullptr;
  const char** ptr = nullptr;
  size_t* len = nullptr;
  uint32_t n = 0;
  char** vecs = nullptr;  // argv/envp arrays for execve steps
  char** environ_copy = nullptr;  // the calling process's environment, for execve steps that inherit it
  ~Strings() {
    free(arena);
    free(ptr);
    free(len);
    free(vecs);
    free(environ_copy);
  }
};

// A copy of environ (vector and strings in one allocation), taken on the JS
// thread, the only thread Node changes the environment from: a threadpool
// spawn must not read environ while process.env's setter rewrites it.
char** CopyEnviron() {
  size_t n = 0, bytes = 0;
  for (char** e = environ; e && *e; e++, n++) bytes += strlen(*e) + 1;
  char** v = (char**)malloc((n + 1) * sizeof(char*) + bytes);
  if (!v) return nullptr;
  char* at = (char*)(v + n + 1);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(environ[i]) + 1;
    memcpy(at, environ[i], len);
    v[i] = at;
    at += len;
  }
  v[n] = nullptr;
  return v;
}

bool LoadStrings(napi_env env, napi_value arr, Strings& t) {
  bool is;
  if (napi_is_array(env, arr, &is) != napi_ok || !is) return ThrowType(env, "plan strings must be an array"), false;
  napi_get_array_length(env, arr, &t.n);
  t.ptr = (const char**)calloc(t.n + 1, sizeof(char*));
  t.len = (size_t*)calloc(t.n + 1, sizeof(size_t));
  if (!t.ptr || !t.len) return ThrowRange(env, "out of memory"), false;
  size_t total = 0;
  for (uint32_t k = 0; k < t.n; k++) {
    napi_value v;
    napi_get_element(env, arr, k, &v);
    napi_valuetype ty;
    napi_typeof(env, v, &ty);
    size_t n = 0;
    if (ty == napi_string) {
      napi_get_value_string_utf8(env, v, nullptr, 0, &n);
    } else {
      uint8_t* d;
      if (!GetView(env, v, &d, &n)) return false;
    }
    t.len[k] = n;
    total += n + 1;
  }
  t.arena = (char*)malloc(total ? total : 1);
  if (!t.arena) return ThrowRange(env, "out of memory"), false;
  char* at = t.arena;
  for (uint32_t k = 0; k < t.n; k++) {
    napi_value v;
    napi_get_element(env, arr, k, &v);
    napi_valuetype ty;
    napi_typeof(env, v, &ty);
    if (ty == napi_string) {
      size_t n;
      napi_get_value_string_utf8(env, v, at, t.len[k] + 1, &n);
    } else {
      uint8_t* d;
      size_t n;
      GetView(env, v, &d, &n);
      if (n > t.len[k]) n = t.len[k];  // the element changed between the two reads
      memcpy(at, d, n);
      at[n] = 0;
    }
    t.ptr[k] = at;
    at += t.len[k] + 1;
  }
  return true;
}

bool ResolveSteps(napi_env env, const int64_t* w, size_t nrec, Strings& t, Step* steps) {
  auto str = [&](int64_t idx, const char** out) -> bool {
    if (idx == -1) {
      *out = nullptr;
      return true;
    }
    if (idx < 0 || (uint64_t)idx >= t.n) return ThrowRange(env, "plan: string index out of range"), false;
    *out = t.ptr[idx];
    return true;
  };
  size_t nvec = 0;
  for (size_t k = 0; k < nrec; k++) {
    if (w[k * 8] != kExecve) continue;
    int64_t as = w[k * 8 + 2], an = w[k * 8 + 3], es = w[k * 8 + 4], en = w[k * 8 + 5];
    if (es == -1 && en == -1) es = en = 0;  // the inherited environment, copied below
    if (as < 0 || an < 0 || es < 0 || en < 0 || (uint64_t)as > t.n || (uint64_t)an > t.n - (uint64_t)as ||
        (uint64_t)es > t.n || (uint64_t)en > t.n - (uint64_t)es)
      return ThrowRange(env, "plan: execve vector out of range"), false;
    nvec += (size_t)(an + 1 + en + 1);
  }
  if (nvec) {
    t.vecs = (char**)calloc(nvec, sizeof(char*));
    if (!t.vecs) return ThrowRange(env, "out of memory"), false;
  }
  size_t vecat = 0;
  for (size_t k = 0; k < nrec; k++) {
    Step& st = steps[k];
    memset(&st, 0, sizeof st);
    memcpy(st.w, w + k * 8, sizeof st.w);
    const int64_t* x = st.w;
    if (x[0] <= 0 || x[0] >= kOpCount) return ThrowRange(env, "plan: unknown step"), false;
    switch (x[0]) {
      case kChdir:
      case kSethostname:
      case kChroot:
        if (!str(x[1], &st.s[0]) || !st.s[0]) return ThrowRange(env, "plan: missing path"), false;
        break;
      case kMount:
        if (!str(x[1], &st.s[0]) || !str(x[2], &st.s[1]) || !str(x[3], &st.s[2])) return false;
        if (!st.s[1]) return ThrowRange(env, "plan: mount needs a target"), false;
        if (x[5] != -1) {
          const char* data;
          if (!str(x[5], &data)) return false;
          st.b = data;
        }
        break;
      case kUmount2:
      case kMkdir:
      case kMknod:
      case kTouch:
      case kMountSetattr:
      case kLinkUp:
        if (!str(x[1], &st.s[0]) || !st.s[0]) return ThrowRange(env, "plan: missing path"), false;
        break;
      case kSymlink:
        if (!str(x[1], &st.s[0]) || !str(x[2], &st.s[1]) || !st.s[0] || !st.s[1])
          return ThrowRange(env, "plan: missing path"), false;
        break;
      case kPivotRoot:
        if (!str(x[1], &st.s[0]) || !str(x[2], &st.s[1]) || !st.s[0] || !st.s[1])
          return ThrowRange(env, "plan: missing path"), false;
        break;
      case kSetgroups:
      case kWrite:
      case kSeccomp: {
        int64_t idx = x[0] == kWrite ? x[2] : x[1];
        if (idx < 0 || (uint64_t)idx >= t.n) return ThrowRange(env, "plan: buffer index out of range"), false;
        st.b = t.ptr[idx];
        st.blen = t.len[idx];
        if (x[0] == kSeccomp && (st.blen == 0 || st.blen % sizeof(struct sock_filter) != 0 ||
                                 st.blen / sizeof(struct sock_filter) > BPF_MAXINSNS))
          return ThrowRange(env, "plan: a seccomp filter is 1 to BPF_MAXINSNS struct sock_filter"), false;
        // No SECCOMP_FILTER_FLAG_NEW_LISTENER: its descriptor would land in the payload.
        if (x[0] == kSeccomp &&
            (x[2] & ~(int64_t)(SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW)) != 0)
          return ThrowRange(env, "plan: seccomp flags must be TSYNC, LOG or SPEC_ALLOW"), false;
        break;
      }
      case kPrctl:
        if (x[7] && (!str(x[2], &st.s[0]) || !st.s[0])) return false;
        break;
      case kInit:
        if (x[1] < 0 || x[1] > INT_MAX) return ThrowRange(env, "plan: init needs the image fd"), false;
        if (!str(x[2], &st.s[0]) || !st.s[0]) return ThrowRange(env, "plan: init needs its signal mask"), false;
        break;
      case kExecve: {
        if (!str(x[1], &st.s[0]) || !st.s[0]) return ThrowRange(env, "plan: execve needs a path"), false;
        int64_t as = x[2], an = x[3], es = x[4], en = x[5];
        bool inherit = es == -1 && en == -1;
        if (inherit) es = en = 0;
        if (as < 0 || an < 0 || es < 0 || en < 0 || (uint64_t)(as + an) > t.n || (uint64_t)(es + en) > t.n)
          return ThrowRange(env, "plan: execve vector out of range"), false;
        char** argv = t.vecs + vecat;
        for (int64_t i = 0; i < an; i++) argv[i] = (char*)t.ptr[as + i];
        argv[an] = nullptr;
        vecat += (size_t)an + 1;
        char** envp = t.vecs + vecat;
        for (int64_t i = 0; i < en; i++) envp[i] = (char*)t.ptr[es + i];
        envp[en] = nullptr;
        vecat += (size_t)en + 1;
        st.argv = argv;
        st.envp = envp;
        if (inherit) {
          if (!t.environ_copy && !(t.environ_copy = CopyEnviron())) return ThrowRange(env, "out of memory"), false;
          st.envp = t.environ_copy;
        }
        break;
      }
      default:
        break;
    }
  }
  return true;
}

long WriteFile(const char* path, const char* data, size_t n) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  long r = RAWSYS_RETRY(write(fd, data, n));
  long e = r < 0 ? -errno : (r == (long)n ? 0 : -EIO);
  close(fd);
  return e;
}

struct CloneArgs {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

// clone3(2) whose child runs fn(arg) on [stack, stack + size) and exits with
// its result: CloneOnStack for what only clone3 has (CLONE_INTO_CGROUP,
// CLONE_NEWTIME), so that those children too share the parent's memory
// (CLONE_VM|CLONE_VFORK) instead of copying its page tables. The kernel
// starts the child with its stack pointer at stack + stack_size.
long Clone3OnStack(CloneArgs* ca, void* stack, size_t size, int (*fn)(void*), void* arg) {
  uintptr_t* sp = StackTop((char*)stack + size, fn, arg);
  ca->stack = (uint64_t)(uintptr_t)stack;
  ca->stack_size = (uint64_t)((uintptr_t)sp - (uintptr_t)stack);
  return CloneCall(SYS_clone3, (long)ca, (long)sizeof *ca);
}

// One spawn: everything the clone needs, copied out of JavaScript values so
// that it can run on a threadpool thread with no JavaScript in reach.
struct SpawnJob {
  Strings t;
  Strings maps;  // [uid_map, gid_map, setgroups] written by the parent
  Step* steps = nullptr;
  size_t nrec = 0;
  int64_t flags = 0;
  bool need_sync = false;
  int cgroup_fd = -1;
  uint64_t sigmask = 0;
  int64_t out[4] = {-1, -1, -1, 0};  // pid, pidfd, failed step, errno
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  ~SpawnJob() { free(steps); }
};

// Parses spawn's arguments (flags, records BigInt64Array, strings[], options
// Int64 [syncNeeded, cgroupFd, sigmask], maps [uidMap, gidMap, setgroups])
// into `job`. On false a JavaScript exception is pending.
bool PrepareSpawn(napi_env env, napi_callback_info info, SpawnJob* job) {
  napi_value argv[5];
  size_t argc = 5;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 5) return ThrowType(env, "spawn: missing arguments"), false;
  if (!GetInt64(env, argv[0], &job->flags)) return false;
  uint8_t* recs;
  size_t recbytes;
  if (!GetView(env, argv[1], &recs, &recbytes)) return false;
  if (recbytes % 64 != 0 || recbytes == 0) return ThrowRange(env, "spawn: bad plan records"), false;
  uint8_t* optb;
  size_t optlen;
  if (!GetView(env, argv[3], &optb, &optlen) || optlen < 3 * sizeof(int64_t)) return ThrowRange(env, "spawn: bad options"), false;
  const int64_t* opt = (const int64_t*)optb;
  if (!LoadStrings(env, argv[2], job->t)) return false;
  job->nrec = recbytes / 64;
  job->steps = (Step*)calloc(job->nrec, sizeof(Step));
  if (!job->steps) return ThrowRange(env, "out of memory"), false;
  if (!ResolveSteps(env, (const int64_t*)recs, job->nrec, job->t, job->steps)) return false;
  if (!LoadStrings(env, argv[4], job->maps) || job->maps.n < 3) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) ThrowType(env, "spawn: maps must be [uid_map, gid_map, setgroups]");
    return false;
  }
  // Only namespace flags: CLONE_VM, CLONE_FILES, CLONE_SIGHAND, CLONE_THREAD …
  // would share Node's memory, descriptors or signal handlers with a child
  // that rewrites them. (TypeScript refuses them first; this is the backstop.)
  const int64_t kAllowed = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
                           CLONE_NEWCGROUP | CLONE_NEWTIME;
  if (job->flags & ~kAllowed) return ThrowRange(env, "spawn: only CLONE_NEW* flags are allowed"), false;
  job->need_sync = opt[0] != 0;
  job->cgroup_fd = (int)opt[1];
  job->sigmask = (uint64_t)opt[2];
  return true;
}

// The clone and the parent's side of the protocol. Plain C: runs on the JS
// thread (spawn) or on a threadpool thread (spawnAsync).
void ExecuteSpawn(SpawnJob* job) {
  int64_t flags = job->flags;
  size_t nrec = job->nrec;
  Step* steps = job->steps;
  Strings& maps = job->maps;
  bool need_sync = job->need_sync;
  int cgroup_fd = job->cgroup_fd;
  int64_t* out = job->out;
  Plan plan;
  plan.steps = steps;
  plan.n = (int)nrec;
  plan.sigmask = job->sigmask;

  int errpipe[2], syncpipe[2] = {-1, -1};
  if (pipe2(errpipe, O_CLOEXEC) < 0) {
    out[3] = errno;
    return;
  }
  if (need_sync && pipe2(syncpipe, O_CLOEXEC) < 0) {
    out[3] = errno;
    goto done;
  }
  {
    // A dup2 or close step must not hit the error pipe (a failed execve would
    // then be reported into the user's descriptor, or not at all): move its
    // write end above every descriptor such a step names, as Go does.
    int64_t top = -1;
    for (size_t k = 0; k < nrec; k++) {
      const int64_t* x = steps[k].w;
      if (x[0] == kDup2 && x[2] > top) top = x[2];
      if ((x[0] == kDup2 || x[0] == kClose) && x[1] > top) top = x[1];
    }
    if (top >= errpipe[1]) {
      int moved = top < INT_MAX ? fcntl(errpipe[1], F_DUPFD_CLOEXEC, (int)top + 1) : -1;
      if (moved < 0) {
        out[3] = errno ? errno : EMFILE;
        goto done;
      }
      close(errpipe[1]);
      errpipe[1] = moved;
    }
  }
  plan.errfd = errpipe[1];
  plan.syncfd = syncpipe[0];
  for (size_t k = 0; k < nrec; k++) {
    if (steps[k].w[0] == kInit) plan.initfd = (int)steps[k].w[1];
  }
  {
    // Raw rt_sigprocmask: glibc's pthread_sigmask leaves its own two internal
    // signals unblocked, and the child must not take any signal before it has
    // reset the dispositions.
    uint64_t all = ~0ULL, old = 0;
    raw::Call(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof all);
    int pidfd = -1;
    long pid;
    // clone() reads the low byte of its flags as the exit signal, where
    // clone3 has CLONE_NEWTIME (0x80): that flag takes the clone3 path.
    bool vfork_path = !need_sync && cgroup_fd < 0 && (flags & CSIGNAL) == 0;
    // The same sharing for CLONE_INTO_CGROUP and CLONE_NEWTIME, through clone3.
    bool vfork3_path = !need_sync && !vfork_path;
    if (vfork3_path) {
      const size_t kStack = 256 * 1024;
      void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (stack == MAP_FAILED) {
        pid = -errno;
      } else {
        mprotect(stack, 4096, PROT_NONE);  // guard page, as below
        CloneArgs ca;
        memset(&ca, 0, sizeof ca);
        ca.flags = (uint64_t)flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD;
        ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
        ca.exit_signal = SIGCHLD;
        if (cgroup_fd >= 0) {
          ca.flags |= CLONE_INTO_CGROUP;
          ca.cgroup = (uint64_t)cgroup_fd;
        }
        pid = Clone3OnStack(&ca, (char*)stack + 4096, kStack - 4096, ChildMain, &plan);
        if (pid == -E2BIG) pid = -ENOSYS;  // a clone3 without CLONE_INTO_CGROUP (< 5.7)
        munmap(stack, kStack);
      }
    } else if (vfork_path) {
      // The child's stack; the parent is suspended while the child uses it.
      const size_t kStack = 256 * 1024;
      void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
      if (stack == MAP_FAILED) {
        pid = -errno;
      } else {
        // A guard page below: the child's frames are small, but an overflow
        // must fault, not write into whatever is mapped beneath.
        mprotect(stack, 4096, PROT_NONE);
        int cf = (int)flags | CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD;
        pid = clone(ChildMain, (char*)stack + kStack, cf, &plan, &pidfd);
        if (pid < 0 && errno == EINVAL) {  // kernel without CLONE_PIDFD (< 5.2)
          pidfd = -1;
          pid = clone(ChildMain, (char*)stack + kStack, cf & ~CLONE_PIDFD, &plan);
        }
        if (pid < 0) pid = -errno;
        munmap(stack, kStack);
      }
    } else {
      CloneArgs ca;
      memset(&ca, 0, sizeof ca);
      ca.flags = (uint64_t)flags | CLONE_PIDFD;
      ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
      ca.exit_signal = SIGCHLD;
      if (cgroup_fd >= 0) {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = (uint64_t)cgroup_fd;
      }
      pid = raw::Call(SYS_clone3, &ca, sizeof ca);
      if (pid == -ENOSYS || pid == -E2BIG) {
        if (cgroup_fd >= 0) {
          pid = -ENOSYS;  // CLONE_INTO_CGROUP needs clone3 (Linux 5.7)
        } else {
          // Fork-like clone (no new stack): parent_tid, where CLONE_PIDFD puts
          // the pidfd, is the third argument on x86_64 and aarch64 alike.
          pid = (flags & CSIGNAL) ? -ENOSYS  // CLONE_NEWTIME needs clone3 (Linux 5.6)
                                  : raw::Call(SYS_clone, (flags | CLONE_PIDFD | SIGCHLD), 0, &pidfd, 0, 0);
        }
      }
      if (pid == 0) ChildMain(&plan);  // the child: never returns
    }
    raw::Call(SYS_rt_sigprocmask, SIG_SETMASK, &old, 0, sizeof old);
    close(errpipe[1]);
    errpipe[1] = -1;
    if (syncpipe[0] >= 0) {
      close(syncpipe[0]);
      syncpipe[0] = -1;
    }
    if (pid < 0) {
      out[3] = -pid;
      goto done;
    }
    out[0] = pid;
    out[1] = pidfd;
    if (need_sync) {
      char path[64];
      long e = 0;
      int which = 0;
      if (maps.len[2] > 0) {  // setgroups must be written before gid_map
        snprintf(path, sizeof path, "/proc/%ld/setgroups", pid);
        e = WriteFile(path, maps.ptr[2], maps.len[2]);
        which = -4;
      }
      if (e == 0 && maps.len[0] > 0) {
        snprintf(path, sizeof path, "/proc/%ld/uid_map", pid);
        e = WriteFile(path, maps.ptr[0], maps.len[0]);
        which = -2;
      }
      if (e == 0 && maps.len[1] > 0) {
        snprintf(path, sizeof path, "/proc/%ld/gid_map", pid);
        e = WriteFile(path, maps.ptr[1], maps.len[1]);
        which = -3;
      }
      if (e == 0) {
        char go = 1;
        if (RAWSYS_RETRY(write(syncpipe[1], &go, 1)) != 1) e = -errno, which = -1;
      }
      close(syncpipe[1]);
      syncpipe[1] = -1;
      if (e < 0) {
        kill((pid_t)pid, SIGKILL);
        siginfo_t si;
        RAWSYS_RETRY(waitid(P_PID, (id_t)pid, &si, WEXITED));
        if (pidfd >= 0) close(pidfd);
        out[0] = out[1] = -1;
        out[2] = which;
        out[3] = -e;
        goto done;
      }
    }
    // EOF: the child exec'd (close-on-exec) or exited through its plan.
    int32_t msg[2];
    size_t got = 0;
    while (got < sizeof msg) {
      long r = read(errpipe[0], (char*)msg + got, sizeof msg - got);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      got += (size_t)r;
    }
    if (got > 0) {
      if (got < sizeof msg) {  // cut short: the child died writing it
        msg[0] = -1;
        msg[1] = EIO;
      }
      siginfo_t si;
      RAWSYS_RETRY(waitid(P_PID, (id_t)pid, &si, WEXITED));  // reap: no zombie
      if (pidfd >= 0) close(pidfd);
      out[0] = out[1] = -1;
      out[2] = msg[0];
      out[3] = msg[1];
    }
  }
done:
  if (errpipe[0] >= 0) close(errpipe[0]);
  if (errpipe[1] >= 0) close(errpipe[1]);
  if (syncpipe[0] >= 0) close(syncpipe[0]);
  if (syncpipe[1] >= 0) close(syncpipe[1]);
}

napi_value SpawnResult(napi_env env, const SpawnJob* job) {
  napi_value res;
  napi_create_array_with_length(env, 4, &res);
  for (uint32_t k = 0; k < 4; k++) {
    napi_value v;
    napi_create_int64(env, job->out[k], &v);
    napi_set_element(env, res, k, v);
  }
  return res;
}

// spawn(...) -> [pid, pidfd, failedStep, errno]. failedStep -1 with errno:
// the clone itself or the parent's part (-2: uid_map, -3: gid_map, -4:
// setgroups) failed; -5: the clone of an init step (in the child).
napi_value Spawn(napi_env env, napi_callback_info info) {
  SpawnJob job;
  if (!PrepareSpawn(env, info, &job)) return nullptr;
  ExecuteSpawn(&job);
  return SpawnResult(env, &job);
}

void SpawnExecute(napi_env, void* data) { ExecuteSpawn((SpawnJob*)data); }

void SpawnComplete(napi_env env, napi_status status, void* data) {
  SpawnJob* job = (SpawnJob*)data;
  if (status == napi_ok) {
    napi_resolve_deferred(env, job->deferred, SpawnResult(env, job));
  } else {
    // Cancelled before it ran (environment teardown): nothing was created.
    napi_value err, msg;
    napi_create_string_utf8(env, "spawn cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
  }
  napi_delete_async_work(env, job->work);
  delete job;
}

// spawnAsync(...) -> Promise<[pid, pidfd, failedStep, errno]>: the same spawn
// on the threadpool, so a busy spawner does not stall the event loop and
// several spawns proceed at once. Every argument is copied before it returns.
napi_value SpawnAsync(napi_env env, napi_callback_info info) {
  SpawnJob* job = new SpawnJob();
  if (!PrepareSpawn(env, info, job)) {
    delete job;
    return nullptr;
  }
  napi_value promise, name;
  napi_create_promise(env, &job->deferred, &promise);
  napi_create_string_utf8(env, "rawsys:spawn", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, nullptr, name, SpawnExecute, SpawnComplete, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    if (job->work) napi_delete_async_work(env, job->work);
    napi_value err, msg;
    napi_create_string_utf8(env, "spawn: could not queue work", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &err);
    napi_reject_deferred(env, job->deferred, err);
    delete job;
  }
  return promise;
}

// execve(2) in the calling process. Replaces Node entirely on success.
napi_value Execve(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  size_t argc = 3;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 3) return ThrowType(env, "execve: missing arguments");
  Strings path, args, envs;
  napi_value one;
  napi_create_array_with_length(env, 1, &one);
  napi_set_element(env, one, 0, argv[0]);
  if (!LoadStrings(env, one, path) || !LoadStrings(env, argv[1], args) || !LoadStrings(env, argv[2], envs)) return nullptr;
  char** av = (char**)calloc(args.n + 1, sizeof(char*));
  char** ev = (char**)calloc(envs.n + 1, sizeof(char*));
  for (uint32_t k = 0; av && k < args.n; k++) av[k] = (char*)args.ptr[k];
  for (uint32_t k = 0; ev && k < envs.n; k++) ev[k] = (char*)envs.ptr[k];
  long r = av && ev ? execve(path.ptr[0], av, ev) : (errno = ENOMEM, -1);
  int e = errno;
  free(av);
  free(ev);
  napi_value res;
  napi_create_int64(env, r < 0 ? -e : 0, &res);
  return res;
}

}  // namespace

void InitPlan(Napi::Env env, Napi::Object exports) {
  napi_value f;
  napi_create_function(env, "spawn", NAPI_AUTO_LENGTH, Spawn, nullptr, &f);
  exports.Set("spawn", Napi::Value(env, f));
  napi_create_function(env, "spawnAsync", NAPI_AUTO_LENGTH, SpawnAsync, nullptr, &f);
  exports.Set("spawnAsync", Napi::Value(env, f));
  napi_create_function(env, "execve", NAPI_AUTO_LENGTH, Execve, nullptr, &f);
  exports.Set("execve", Napi::Value(env, f));
}

}  // namespace rawsys
