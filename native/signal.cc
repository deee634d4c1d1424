// Signals: kill(2) and the pidfd calls. glibc wraps pidfd_open,
// pidfd_send_signal and pidfd_getfd only since 2.36, so they go through
// syscall(2) (the addon must load on glibc 2.28). The kernel makes every
// descriptor these calls return close-on-exec.
#include "common.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

namespace rawsys {
namespace {

int64_t Kill(Args& a) { return Ret(kill((pid_t)a.i[0], (int)a.i[1])); }

// Linux 5.3; PIDFD_NONBLOCK in flags since 5.10.
int64_t PidfdOpen(Args& a) { return Ret(syscall(SYS_pidfd_open, (pid_t)a.i[0], (unsigned)a.i[1])); }

// Linux 5.1. No siginfo: the signal arrives as if sent by kill(2).
int64_t PidfdSendSignal(Args& a) {
  return Ret(syscall(SYS_pidfd_send_signal, (int)a.i[0], (int)a.i[1], nullptr, (unsigned)a.i[2]));
}

// Linux 5.6. Needs PTRACE_MODE_ATTACH_REALCREDS over the target.
int64_t PidfdGetfd(Args& a) { return Ret(syscall(SYS_pidfd_getfd, (int)a.i[0], (int)a.i[1], 0u)); }

const Spec kSpecs[] = {
    {"kill", "ii", Kill, kInt},
    {"pidfdOpen", "ii", PidfdOpen, kInt},
    {"pidfdSendSignal", "iii", PidfdSendSignal, kInt},
    {"pidfdGetfd", "ii", PidfdGetfd, kInt},
};

}  // namespace

void InitSignal(Napi::Env env, Napi::Object exports) {
  Register(env, exports, kSpecs, sizeof kSpecs / sizeof kSpecs[0]);
}

}  // namespace rawsys
