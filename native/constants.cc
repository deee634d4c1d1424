// Constants read from the system headers of the target at build time. The
// names come from native/constants.txt through constants.gen.h, each behind
// #ifdef, so a name the target does not define is simply absent.
#include "common.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/limits.h>
#include <linux/close_range.h>
#include <sched.h>
#include <linux/sched.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/mman.h>
#include "landlock_uapi.h"
#include <sys/auxv.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/personality.h>
// <linux/pidfd.h> clashes with glibc's <fcntl.h> (it pulls in <linux/fcntl.h>)
// and glibc has <sys/pidfd.h> only since 2.36: define it as the kernel does.
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK  // Linux 5.10
#endif

// glibc declares the waitid idtypes as enum members, not macros: make them
// visible to the #ifdef of constants.gen.h (a macro naming itself expands to
// the enum member). P_PIDFD joined the enum in glibc 2.36.
#ifndef P_ALL
#define P_ALL P_ALL
#define P_PID P_PID
#define P_PGID P_PGID
#endif
#if !defined(P_PIDFD) && __GLIBC_PREREQ(2, 36)
#define P_PIDFD P_PIDFD
#endif

// The same for the personality(2) values, enum members in glibc's
// <sys/personality.h>.
#ifndef PER_LINUX
#define PER_LINUX PER_LINUX
#define PER_LINUX32 PER_LINUX32
#define UNAME26 UNAME26
#define ADDR_NO_RANDOMIZE ADDR_NO_RANDOMIZE
#endif

namespace rawsys {

namespace {

// strerror(3) text for errnos libuv has no message for. Called on the JS
// thread only; strerror's buffer is not shared with a concurrent caller here.
Napi::Value Strerror(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) return Napi::Value(env, ThrowType(env, "errno must be a number"));
  return Napi::String::New(env, strerror(info[0].As<Napi::Number>().Int32Value()));
}

}  // namespace

void InitConstants(Napi::Env env, Napi::Object exports) {
  Napi::Object c = Napi::Object::New(env);
#define K(name) c.Set(#name, Napi::Number::New(env, (double)(name)));
#include "constants.gen.h"
#undef K
  exports.Set("constants", c);
  exports.Set("strerror", Napi::Function::New(env, Strerror, "strerror"));
}

}  // namespace rawsys
