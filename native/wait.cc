// waitpid(2), wait4(2), waitid(2). The sync forms block the calling thread.
// The promise forms use no thread at all: they watch a pidfd (Linux 5.3),
// which becomes readable when the process exits, with a uv_poll handle on the
// event loop, then collect the status with WNOHANG. So 2,000 pending waits
// cost 2,000 descriptors and no threadpool thread. They report termination
// only (a pidfd does not signal stops or continues).
//
// Results are decoded here into a Float64Array record, layout in src/wait.ts:
// [pid, exitCode | -1, signal | 0, coreDumped, stopSignal | 0, continued,
//  then rusage: utime µs, stime µs, maxrss KiB, minflt, majflt, nvcsw, nivcsw].
#include "common.h"
#include "rawcall.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <uv.h>

namespace rawsys {
namespace {

constexpr size_t kRecord = 13;

void DecodeStatus(int status, double* o) {
  o[1] = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  o[2] = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  o[3] = WIFSIGNALED(status) && WCOREDUMP(status) ? 1 : 0;
  o[4] = WIFSTOPPED(status) ? WSTOPSIG(status) : 0;
  o[5] = WIFCONTINUED(status) ? 1 : 0;
}

void DecodeRusage(const struct rusage& ru, double* o) {
  o[6] = (double)ru.ru_utime.tv_sec * 1e6 + (double)ru.ru_utime.tv_usec;
  o[7] = (double)ru.ru_stime.tv_sec * 1e6 + (double)ru.ru_stime.tv_usec;
  o[8] = (double)ru.ru_maxrss;
  o[9] = (double)ru.ru_minflt;
  o[10] = (double)ru.ru_majflt;
  o[11] = (double)ru.ru_nvcsw;
  o[12] = (double)ru.ru_nivcsw;
}

// kind: 0 waitpid/wait4 (by pid), 1 waitid. For waitid `idtype` is P_PID or
// P_PIDFD. Returns the pid (> 0), 0 (WNOHANG: nothing yet) or -errno.
int64_t DoWait(int kind, int idtype, int64_t id, int options, double* o) {
  struct rusage ru;
  memset(&ru, 0, sizeof ru);
  if (kind == 0) {
    int status = 0;
    long r = RAWSYS_RETRY(wait4((pid_t)id, &status, options, &ru));
    if (r < 0) return -errno;
    if (r == 0) return 0;
    o[0] = (double)r;
    DecodeStatus(status, o);
    DecodeRusage(ru, o);
    return r;
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  long r;
  // The raw syscall: glibc's waitid has no rusage argument.
  do r = raw::Call(SYS_waitid, idtype, id, &si, options, &ru);
  while (r == -EINTR);
  if (r < 0) return r;
  if (si.si_pid == 0) return 0;  // WNOHANG, nothing to report
  o[0] = si.si_pid;
  o[1] = si.si_code == CLD_EXITED ? si.si_status : -1;
  o[2] = (si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED) ? si.si_status : 0;
  o[3] = si.si_code == CLD_DUMPED ? 1 : 0;
  o[4] = (si.si_code == CLD_STOPPED || si.si_code == CLD_TRAPPED) ? si.si_status : 0;
  o[5] = si.si_code == CLD_CONTINUED ? 1 : 0;
  DecodeRusage(ru, o);
  return si.si_pid;
}

bool Record(napi_env env, napi_value v, double** o) {
  uint8_t* d;
  size_t n;
  if (!GetView(env, v, &d, &n)) return false;
  if (n < kRecord * sizeof(double)) return ThrowRange(env, "wait: record too small"), false;
  *o = (double*)d;
  return true;
}

// Decodes (kind, idtype, id, options, record) for both wait forms.
struct WaitArgs {
  int64_t kind, idtype, id, options;
  double* out;
  napi_value record;
};

bool ParseWait(napi_env env, napi_callback_info info, WaitArgs* w) {
  napi_value argv[5];
  size_t argc = 5;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  if (argc < 5) return ThrowType(env, "wait: missing arguments"), false;
  w->record = argv[4];
  return GetInt64(env, argv[0], &w->kind) && GetInt64(env, argv[1], &w->idtype) && GetInt64(env, argv[2], &w->id) &&
         GetInt64(env, argv[3], &w->options) && Record(env, argv[4], &w->out);
}

// wait(kind, idtype, id, options, record) -> pid | 0 | -errno
napi_value WaitSync(napi_env env, napi_callback_info info) {
  WaitArgs w;
  if (!ParseWait(env, info, &w)) return nullptr;
  napi_value res;
  napi_create_int64(env, DoWait((int)w.kind, (int)w.idtype, w.id, (int)w.options, w.out), &res);
  return res;
}

struct PollWait {
  uv_poll_t handle;
  napi_env env;
  napi_deferred deferred;
  napi_ref record;
  napi_async_cleanup_hook_handle hook = nullptr;
  napi_async_context async = nullptr;  // so promise reactions run after the resolve
  napi_ref resource = nullptr;
  int kind, idtype, options;
  int64_t id;
  int pidfd;
  bool own_pidfd;
};

void Closed(uv_handle_t* h) {
  PollWait* w = (PollWait*)h->data;
  if (w->hook) napi_remove_async_cleanup_hook(w->hook);
  delete w;
}

void Release(PollWait* w) {
  napi_delete_reference(w->env, w->record);
  napi_delete_reference(w->env, w->resource);
  napi_async_destroy(w->env, w->async);
}

// Resolves from a libuv callback: inside a callback scope, whose closing runs
// the microtasks (the promise reactions), as Node does for its own callbacks.
void Finish(PollWait* w, int64_t r) {
  napi_env env = w->env;
  // The watched descriptor goes first: the promise reactions run below, and
  // code awaiting this wait must not find our pidfd still open.
  uv_poll_stop(&w->handle);
  if (w->own_pidfd) close(w->pidfd);
  w->own_pidfd = false;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value resource, v;
  napi_get_reference_value(env, w->resource, &resource);
  napi_callback_scope cb;
  napi_open_callback_scope(env, resource, w->async, &cb);
  napi_create_int64(env, r, &v);
  napi_resolve_deferred(env, w->deferred, v);
  napi_close_callback_scope(env, cb);
  napi_close_handle_scope(env, scope);
  Release(w);
  // Done with the environment: a teardown from now on must not run Teardown.
  napi_remove_async_cleanup_hook(w->hook);
  w->hook = nullptr;
  uv_close((uv_handle_t*)&w->handle, Closed);
}

void OnReadable(uv_poll_t* h, int status, int events) {
  PollWait* w = (PollWait*)h->data;
  napi_handle_scope scope;
  napi_open_handle_scope(w->env, &scope);
  napi_value rec;
  napi_get_reference_value(w->env, w->record, &rec);
  double* o;
  uint8_t* d;
  size_t n;
  napi_get_buffer_info(w->env, rec, (void**)&d, &n);
  o = (double*)d;
  int64_t r = status < 0 ? status : DoWait(w->kind, w->idtype, w->id, w->options | WNOHANG, o);
  napi_close_handle_scope(w->env, scope);
  if (r == 0) return;  // not yet (a spurious wake-up)
  Finish(w, r);
}

// Environment teardown (Worker terminated) with the wait pending: stop
// watching, free everything; the promise is never settled.
void Teardown(napi_async_cleanup_hook_handle hook, void* arg) {
  PollWait* w = (PollWait*)arg;
  Release(w);
  uv_poll_stop(&w->handle);
  if (w->own_pidfd) close(w->pidfd);
  uv_close((uv_handle_t*)&w->handle, Closed);
}

// waitAsync(kind, idtype, id, options, record) -> Promise<pid | 0 | -errno>
napi_value WaitAsync(napi_env env, napi_callback_info info) {
  WaitArgs wa;
  if (!ParseWait(env, info, &wa)) return nullptr;
  int64_t kind = wa.kind, idtype = wa.idtype, id = wa.id, options = wa.options;
  double* o = wa.out;
  napi_deferred deferred;
  napi_value promise, v;
  napi_create_promise(env, &deferred, &promise);
  // Already there (or an error such as ECHILD, or WNOHANG asked): settle now.
  int64_t r = DoWait((int)kind, (int)idtype, id, (int)options | WNOHANG, o);
  if (r != 0 || (options & WNOHANG)) {
    napi_create_int64(env, r, &v);
    napi_resolve_deferred(env, deferred, v);
    return promise;
  }
  // The watched descriptor is always our own: a caller's pidfd is duplicated,
  // so two waits on it do not collide in epoll (EEXIST).
  int pidfd;
  bool own = true;
  if (kind == 1 && idtype == P_PIDFD) {
    pidfd = fcntl((int)id, F_DUPFD_CLOEXEC, 3);
    if (pidfd < 0) {
      napi_create_int64(env, -errno, &v);
      napi_resolve_deferred(env, deferred, v);
      return promise;
    }
  } else {
    pidfd = (int)raw::Call(SYS_pidfd_open, id, 0);
    if (pidfd < 0) {
      napi_create_int64(env, pidfd, &v);  // ENOSYS before Linux 5.3
      napi_resolve_deferred(env, deferred, v);
      return promise;
    }
    // pidfd_open sets O_CLOEXEC on the new descriptor (it always does).
  }
  uv_loop_t* loop;
  napi_get_uv_event_loop(env, &loop);
  PollWait* w = new PollWait();
  w->env = env;
  w->deferred = deferred;
  w->kind = (int)kind;
  w->idtype = (int)idtype;
  w->id = id;
  w->options = (int)options;
  w->pidfd = pidfd;
  w->own_pidfd = own;
  w->handle.data = w;
  // uv_poll_init makes the descriptor non-blocking, and O_NONBLOCK belongs to
  // the open file, shared with the caller's pidfd: put the flags back (libuv
  // never reads from it), or a later blocking waitid on it fails with EAGAIN.
  int fl = fcntl(pidfd, F_GETFL);
  int e = uv_poll_init(loop, &w->handle, pidfd);
  if (fl >= 0) fcntl(pidfd, F_SETFL, fl);
  if (e != 0) {
    napi_create_int64(env, e, &v);  // libuv errors are -errno on Linux
    napi_resolve_deferred(env, deferred, v);
    if (own) close(pidfd);
    delete w;
    return promise;
  }
  napi_create_reference(env, wa.record, 1, &w->record);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &w->resource);
  napi_create_string_utf8(env, "rawsys:waitpid", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &w->async);
  e = uv_poll_start(&w->handle, UV_READABLE, OnReadable);
  if (e != 0) {
    napi_create_int64(env, e, &v);
    napi_resolve_deferred(env, deferred, v);
    Release(w);
    if (own) close(pidfd);
    uv_close((uv_handle_t*)&w->handle, Closed);
    return promise;
  }
  napi_add_async_cleanup_hook(env, Teardown, w, &w->hook);
  return promise;
}

}  // namespace

void InitWait(Napi::Env env, Napi::Object exports) {
  napi_value f;
  napi_create_function(env, "wait", NAPI_AUTO_LENGTH, WaitSync, nullptr, &f);
  exports.Set("wait", Napi::Value(env, f));
  napi_create_function(env, "waitAsync", NAPI_AUTO_LENGTH, WaitAsync, nullptr, &f);
  exports.Set("waitAsync", Napi::Value(env, f));
}

}  // namespace rawsys
