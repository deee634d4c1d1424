// Credentials, process groups and sessions, resource limits, prctl(2) and
// capabilities. Each core does one call and returns its result or -errno.
//
// Threads: the kernel keeps credentials (uids, gids, supplementary groups,
// capability sets, securebits such as keep-caps) and no_new_privs per
// THREAD. glibc's setresuid/setresgid/setgroups wrappers broadcast the change
// to every thread of the process (the "setxid" mechanism, a signal to each
// thread), so the whole Node process changes: those are what the cores call,
// never the raw syscalls. capset and prctl have no such broadcast: they act
// on the calling thread alone. Resource limits, the process group, the
// session and the child-subreaper flag belong to the process.
#include "common.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace rawsys {
namespace {

int64_t Getpid(Args&) { return getpid(); }
int64_t Getppid(Args&) { return getppid(); }
// glibc's gettid() wrapper is GLIBC_2.30: the addon must load on 2.28.
int64_t Gettid(Args&) { return syscall(SYS_gettid); }
int64_t Getuid(Args&) { return getuid(); }
int64_t Geteuid(Args&) { return geteuid(); }
int64_t Getgid(Args&) { return getgid(); }
int64_t Getegid(Args&) { return getegid(); }

// The supplementary groups as gid_t[] bytes. The list can change between the
// sizing call and the fetch (another thread's setgroups): then EINVAL, retry.
int64_t Getgroups(Args& a) {
  for (;;) {
    int n = getgroups(0, nullptr);
    if (n < 0) return -errno;
    gid_t* buf = (gid_t*)malloc((n ? n : 1) * sizeof(gid_t));
    if (!buf) return -ENOMEM;
    int m = getgroups(n, buf);
    if (m < 0) {
      int e = errno;
      free(buf);
      if (e == EINVAL) continue;
      return -e;
    }
    a.out = (uint8_t*)buf;
    a.outlen = (size_t)m * sizeof(gid_t);
    return m;
  }
}

// Fills a uint32[3] with real, effective, saved.
int64_t Getresuid(Args& a) {
  if (a.size < 3 * sizeof(uid_t)) return -EINVAL;
  uid_t* o = (uid_t*)a.data;
  return Ret(getresuid(&o[0], &o[1], &o[2]));
}

int64_t Getresgid(Args& a) {
  if (a.size < 3 * sizeof(gid_t)) return -EINVAL;
  gid_t* o = (gid_t*)a.data;
  return Ret(getresgid(&o[0], &o[1], &o[2]));
}

// glibc wrappers: every thread of the process changes (see the top).
int64_t Setresuid(Args& a) { return Ret(setresuid((uid_t)a.i[0], (uid_t)a.i[1], (uid_t)a.i[2])); }
int64_t Setresgid(Args& a) { return Ret(setresgid((gid_t)a.i[0], (gid_t)a.i[1], (gid_t)a.i[2])); }

int64_t Setgroups(Args& a) {
  if (a.size % sizeof(gid_t) != 0) return -EINVAL;
  return Ret(setgroups(a.size / sizeof(gid_t), (const gid_t*)a.data));
}

int64_t Setsid(Args&) { return Ret(setsid()); }
int64_t Setpgid(Args& a) { return Ret(setpgid((pid_t)a.i[0], (pid_t)a.i[1])); }
int64_t Getpgid(Args& a) { return Ret(getpgid((pid_t)a.i[0])); }
int64_t Getsid(Args& a) { return Ret(getsid((pid_t)a.i[0])); }

// prlimit(2) (glibc's prlimit, GLIBC_2.13: prlimit64 on every architecture,
// so limits are 64-bit everywhere). Arguments: pid (0 = this process),
// resource, whether to set, soft, hard (RLIM_INFINITY as -1); the old limits
// are written as uint64[2] to the buffer.
int64_t Prlimit(Args& a) {
  if (a.size < 2 * sizeof(uint64_t)) return -EINVAL;
  // With _FILE_OFFSET_BITS=64, struct rlimit is the 64-bit one and prlimit
  // is prlimit64 on 32-bit targets too.
  static_assert(sizeof(rlim_t) == 8, "64-bit rlim_t");
  struct rlimit nl, ol;
  nl.rlim_cur = (rlim_t)(uint64_t)a.i[3];
  nl.rlim_max = (rlim_t)(uint64_t)a.i[4];
  if (prlimit((pid_t)a.i[0], (enum __rlimit_resource)a.i[1], a.i[2] ? &nl : nullptr, &ol) < 0) return -errno;
  uint64_t* o = (uint64_t*)a.data;
  o[0] = ol.rlim_cur;
  o[1] = ol.rlim_max;
  return 0;
}

// prctl(2) for the options whose arguments are integers, plus the two getters
// that write an int through a pointer. Anything else is refused: a pointer
// argument passed as an integer would let the kernel write anywhere.
int64_t Prctl(Args& a) {
  int opt = (int)a.i[0];
  unsigned long a2 = (unsigned long)a.i[1], a3 = (unsigned long)a.i[2], a4 = (unsigned long)a.i[3],
                a5 = (unsigned long)a.i[4];
  switch (opt) {
    case PR_GET_PDEATHSIG:
    case PR_GET_CHILD_SUBREAPER: {
      int v = 0;
      if (prctl(opt, &v, 0, 0, 0) < 0) return -errno;
      return v;
    }
    case PR_SET_PDEATHSIG:
    case PR_GET_NO_NEW_PRIVS:
    case PR_SET_NO_NEW_PRIVS:
    case PR_GET_KEEPCAPS:
    case PR_SET_KEEPCAPS:
    case PR_SET_CHILD_SUBREAPER:
    case PR_CAPBSET_READ:
    case PR_CAPBSET_DROP:
    case PR_CAP_AMBIENT:
      return Ret(prctl(opt, a2, a3, a4, a5));
    default:
      return -EINVAL;
  }
}

// PR_GET_NAME: the calling thread's name, up to 15 bytes.
int64_t PrGetName(Args& a) {
  char name[17] = {};
  if (prctl(PR_GET_NAME, name, 0, 0, 0) < 0) return -errno;
  size_t n = strnlen(name, 16);
  a.out = (uint8_t*)malloc(n ? n : 1);
  if (!a.out) return -ENOMEM;
  memcpy(a.out, name, n);
  a.outlen = n;
  return 0;
}

// PR_SET_NAME: the kernel copies 16 bytes and truncates to 15; TypeScript
// refuses longer names before they get here.
int64_t PrSetName(Args& a) {
  char name[16] = {};
  memcpy(name, a.s[0], a.slen[0] < 15 ? a.slen[0] : 15);
  return Ret(prctl(PR_SET_NAME, name, 0, 0, 0));
}

// capget(2)/capset(2) through syscall(2) with _LINUX_CAPABILITY_VERSION_3
// (two 32-bit words a set, Linux 2.6.26); libcap is not needed. The sets are
// handed over as 64-bit masks: effective, permitted, inheritable.
int64_t Capget(Args& a) {
  if (a.size < 3 * sizeof(uint64_t)) return -EINVAL;
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, (int)a.i[0]};
  struct __user_cap_data_struct d[2] = {};
  if (syscall(SYS_capget, &h, d) < 0) return -errno;
  uint64_t* o = (uint64_t*)a.data;
  o[0] = d[0].effective | (uint64_t)d[1].effective << 32;
  o[1] = d[0].permitted | (uint64_t)d[1].permitted << 32;
  o[2] = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
  return 0;
}

// Acts on the calling thread only (pid 0): the kernel refuses any other
// target, and there is no broadcast as for setresuid.
int64_t Capset(Args& a) {
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  uint64_t e = (uint64_t)a.i[0], p = (uint64_t)a.i[1], inh = (uint64_t)a.i[2];
  d[0].effective = (uint32_t)e;
  d[1].effective = (uint32_t)(e >> 32);
  d[0].permitted = (uint32_t)p;
  d[1].permitted = (uint32_t)(p >> 32);
  d[0].inheritable = (uint32_t)inh;
  d[1].inheritable = (uint32_t)(inh >> 32);
  return Ret(syscall(SYS_capset, &h, d));
}

const Spec kSpecs[] = {
    {"getpid", "", Getpid, kInt},
    {"getppid", "", Getppid, kInt},
    {"gettid", "", Gettid, kInt},
    {"getuid", "", Getuid, kInt},
    {"geteuid", "", Geteuid, kInt},
    {"getgid", "", Getgid, kInt},
    {"getegid", "", Getegid, kInt},
    {"getgroups", "", Getgroups, kBytes},
    {"getresuid", "B", Getresuid, kInt},
    {"getresgid", "B", Getresgid, kInt},
    {"setresuid", "iii", Setresuid, kInt},
    {"setresgid", "iii", Setresgid, kInt},
    {"setgroups", "B", Setgroups, kInt},
    {"setsid", "", Setsid, kInt},
    {"setpgid", "ii", Setpgid, kInt},
    {"getpgid", "i", Getpgid, kInt},
    {"getsid", "i", Getsid, kInt},
    {"prlimit", "iiiiiB", Prlimit, kInt},
    {"prctl", "iiiii", Prctl, kInt, true},
    {"prGetName", "", PrGetName, kBytes, true},
    {"prSetName", "p", PrSetName, kInt, true},
    {"capget", "iB", Capget, kInt, true},
    {"capset", "iii", Capset, kInt, true},
};

}  // namespace

void InitCreds(Napi::Env env, Napi::Object exports) {
  Register(env, exports, kSpecs, sizeof kSpecs / sizeof kSpecs[0]);
}

}  // namespace rawsys
