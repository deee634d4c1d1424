// Landlock (Linux 5.13): landlock_create_ruleset and landlock_add_rule. Each
// core does one raw syscall (glibc has no wrappers) and returns its result or
// -errno; which rights to handle and grant is decided in src/landlock.ts.
//
// landlock_restrict_self has no core here: it applies to the calling THREAD
// only (until LANDLOCK_RESTRICT_SELF_TSYNC, ABI 8, which Linux 6.18 does not
// have), and Node always runs several threads, so restricting the JS thread
// would leave the libuv threadpool, where every fs promise runs, free. It is
// a child-plan step instead (kLandlock in plan.cc), run in a new process
// before execve. See src/landlock.ts.
#include "common.h"
#include "landlock_uapi.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace rawsys {
namespace {

// The highest Landlock ABI the kernel supports: ENOSYS when it was built
// without Landlock, EOPNOTSUPP when Landlock is not enabled at boot (lsm=).
int64_t LandlockAbi(Args&) {
#ifdef SYS_landlock_create_ruleset
  return Ret(syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION));
#else
  return -ENOSYS;
#endif
}

// (handled_access_fs, handled_access_net, scoped) -> a ruleset fd. The kernel
// always makes it O_CLOEXEC. Fields the kernel does not know must be zero
// (TypeScript zeroes them for older ABIs), else E2BIG.
int64_t LandlockCreateRuleset(Args& a) {
#ifdef SYS_landlock_create_ruleset
  LandlockRulesetAttr attr = {(uint64_t)a.i[0], (uint64_t)a.i[1], (uint64_t)a.i[2]};
  return Ret(syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0));
#else
  return -ENOSYS;
#endif
}

// (ruleset fd, rule type, allowed_access, target): target is an fd (O_PATH
// preferred) for LANDLOCK_RULE_PATH_BENEATH, a TCP port for
// LANDLOCK_RULE_NET_PORT.
int64_t LandlockAddRule(Args& a) {
#ifdef SYS_landlock_add_rule
  int fd = (int)a.i[0];
  if (a.i[1] == LANDLOCK_RULE_PATH_BENEATH) {
    if (a.i[3] < INT_MIN || a.i[3] > INT_MAX) return -EBADF;
    LandlockPathBeneathAttr attr = {(uint64_t)a.i[2], (int32_t)a.i[3]};
    return Ret(syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_PATH_BENEATH, &attr, 0));
  }
  if (a.i[1] == LANDLOCK_RULE_NET_PORT) {
    LandlockNetPortAttr attr = {(uint64_t)a.i[2], (uint64_t)a.i[3]};
    return Ret(syscall(SYS_landlock_add_rule, fd, LANDLOCK_RULE_NET_PORT, &attr, 0));
  }
  return -EINVAL;
#else
  return -ENOSYS;
#endif
}

// Not thread-bound: a ruleset is an fd, usable from any thread. The calls
// never block, so src/landlock.ts uses the sync forms only.
const Spec kSpecs[] = {
    {"landlockAbi", "", LandlockAbi, kInt},
    {"landlockCreateRuleset", "iii", LandlockCreateRuleset, kInt},
    {"landlockAddRule", "iiii", LandlockAddRule, kInt},
};

}  // namespace

void InitLandlock(Napi::Env env, Napi::Object exports) {
  Register(env, exports, kSpecs, sizeof kSpecs / sizeof kSpecs[0]);
}

}  // namespace rawsys
