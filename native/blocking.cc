// Waits that may last for ever: flock(2) without LOCK_NB and F_SETLKW /
// F_OFD_SETLKW. They must not sit on the libuv threadpool (four of them would
// starve every fs and dns call of the process), so each runs on a detached
// thread of its own, created for the wait and gone after it.
//
// Threads and lifetime:
//  - A Hub exists per Node environment (main thread or Worker). It owns a
//    threadsafe function that carries results back to the JS thread and a list
//    of the waits still pending. Waiter threads and the environment share it
//    through a reference count; the last one frees it.
//  - A WaitReq is shared by its waiter thread and the JS handle (an External)
//    through a reference count as well.
//  - Waiter threads touch the threadsafe function only under hub->mu and only
//    while hub->alive. The environment cleanup hook, registered after the
//    threadsafe function so that it runs before Node finalizes it, clears
//    `alive` and aborts every pending wait. So a Worker can be terminated, and
//    the process can exit, with waits pending: nothing joins these threads and
//    none of them touches a dead environment.
//
// Abort: the waiter blocks every signal but the wake signal, whose handler
// does nothing and is installed without SA_RESTART, so tgkill() makes the
// blocked flock/fcntl return EINTR. The waiter then sees `aborted` and stops
// instead of retrying. A wake signal that lands just between the check of
// `aborted` and the syscall is lost, so the canceller repeats it until the
// waiter reports done (the TypeScript side re-sends every few milliseconds;
// the cleanup hook loops here).
#include "common.h"

#include <atomic>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace rawsys {
namespace {

// The wake signal: a real-time signal no part of Node or libuv uses. A process
// that installs its own handler on it keeps that handler; rawsys only installs
// its no-op one where the disposition is the default or ignore.
int WakeSignal() { return SIGRTMIN + 7; }

void NoopHandler(int) {}

pthread_once_t handler_once = PTHREAD_ONCE_INIT;  // process-wide: signal dispositions are

void InstallHandler() {
  struct sigaction old;
  if (sigaction(WakeSignal(), nullptr, &old) != 0) return;
  if (!(old.sa_flags & SA_SIGINFO) && (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = NoopHandler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the blocked call must return EINTR
    sigaction(WakeSignal(), &sa, nullptr);
  }
}

struct Hub;

struct WaitReq {
  std::atomic<int> refs{2};  // the waiter thread and the JS handle
  std::atomic<bool> aborted{false};
  std::atomic<bool> done{false};
  std::atomic<long> tid{0};
  Hub* hub = nullptr;
  WaitReq* prev = nullptr;  // pending list, under hub->mu
  WaitReq* next = nullptr;
  bool is_flock = true;
  int fd = -1;
  int op = 0;  // flock operation, or fcntl command
  struct flock fl;
  int64_t result = 0;
  napi_deferred deferred = nullptr;  // JS thread only
};

struct Hub {
  pthread_mutex_t mu;
  bool alive = true;  // under mu
  WaitReq* head = nullptr;  // under mu
  napi_threadsafe_function tsfn = nullptr;
  std::atomic<int> refs{1};  // the environment and each waiter thread
  int pending = 0;  // JS thread only: keeps the event loop alive while > 0
};

void Unref(WaitReq* r) {
  if (r->refs.fetch_sub(1) == 1) delete r;
}

void Unref(Hub* h) {
  if (h->refs.fetch_sub(1) == 1) {
    pthread_mutex_destroy(&h->mu);
    delete h;
  }
}

long Tid() { return syscall(SYS_gettid); }

void Wake(long tid) {
  if (tid > 0) syscall(SYS_tgkill, (long)getpid(), tid, (long)WakeSignal());
}

void Unlink(Hub* h, WaitReq* r) {
  if (r->prev) r->prev->next = r->next;
  else if (h->head == r) h->head = r->next;
  if (r->next) r->next->prev = r->prev;
  r->prev = r->next = nullptr;
}

void* Waiter(void* p) {
  WaitReq* r = (WaitReq*)p;
  Hub* h = r->hub;
  sigset_t set;
  sigfillset(&set);
  sigdelset(&set, WakeSignal());
  pthread_sigmask(SIG_SETMASK, &set, nullptr);
  r->tid.store(Tid());
  int64_t res;
  for (;;) {
    if (r->aborted.load()) {
      res = INT64_MIN;  // aborted: reported as null to JS
      break;
    }
    long x = r->is_flock ? flock(r->fd, r->op) : fcntl(r->fd, r->op, &r->fl);
    if (x == 0) {
      res = 0;
      break;
    }
    if (errno == EINTR) continue;
    res = -(int64_t)errno;
    break;
  }
  r->result = res;
  r->done.store(true);
  bool delivered = false;
  pthread_mutex_lock(&h->mu);
  Unlink(h, r);
  if (h->alive) delivered = napi_call_threadsafe_function(h->tsfn, r, napi_tsfn_nonblocking) == napi_ok;
  pthread_mutex_unlock(&h->mu);
  if (!delivered) Unref(r);  // the thread's reference, otherwise handed to CallJs
  Unref(h);
  return nullptr;
}

// Runs on the JS thread with a finished request, or with env == nullptr while
// Node tears the threadsafe function down (then only memory is freed).
void CallJs(napi_env env, napi_value, void* context, void* data) {
  Hub* h = (Hub*)context;
  WaitReq* r = (WaitReq*)data;
  if (env != nullptr) {
    napi_value v;
    if (r->result == INT64_MIN) napi_get_null(env, &v);
    else napi_create_int64(env, r->result, &v);
    napi_resolve_deferred(env, r->deferred, v);
    if (--h->pending == 0) napi_unref_threadsafe_function(env, h->tsfn);
  }
  Unref(r);
}

void FinalizeHandle(napi_env, void* data, void*) { Unref((WaitReq*)data); }

// Marks our wait handles, so cancelWait refuses any other External.
const napi_type_tag kWaitTag = {0x7261777379732d77ULL, 0x6169742d68616e64ULL};

// Environment teardown: no result can reach JS any more. Stop every pending
// waiter so no thread stays blocked on a lock nobody will get.
void Cleanup(void* arg) {
  Hub* h = (Hub*)arg;
  pthread_mutex_lock(&h->mu);
  h->alive = false;
  for (WaitReq* r = h->head; r; r = r->next) r->aborted.store(true);
  pthread_mutex_unlock(&h->mu);
  // A waiter unlinks itself under mu before it can be freed, so every request
  // still on the list is alive while we hold mu. Repeat the wake signal until
  // the list drains (it covers the lost-wake window), for at most ~200 ms.
  for (int k = 0; k < 200; k++) {
    pthread_mutex_lock(&h->mu);
    bool empty = h->head == nullptr;
    for (WaitReq* r = h->head; r; r = r->next) Wake(r->tid.load());
    pthread_mutex_unlock(&h->mu);
    if (empty) break;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, nullptr);
  }
  Unref(h);
}

// Starts the wait on a new detached thread: returns [promise, handle].
Napi::Value Start(Napi::Env env, Hub* h, WaitReq* r) {
  pthread_once(&handler_once, InstallHandler);
  napi_value promise;
  napi_create_promise(env, &r->deferred, &promise);
  r->hub = h;
  h->refs.fetch_add(1);
  pthread_mutex_lock(&h->mu);
  r->next = h->head;
  if (h->head) h->head->prev = r;
  h->head = r;
  pthread_mutex_unlock(&h->mu);
  if (h->pending++ == 0) napi_ref_threadsafe_function(env, h->tsfn);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_t t;
  int err = pthread_create(&t, &attr, Waiter, r);
  pthread_attr_destroy(&attr);
  if (err != 0) {
    // No thread: undo, and report the errno (EAGAIN) as the result.
    pthread_mutex_lock(&h->mu);
    Unlink(h, r);
    pthread_mutex_unlock(&h->mu);
    Unref(h);
    if (--h->pending == 0) napi_unref_threadsafe_function(env, h->tsfn);
    napi_value v;
    napi_create_int64(env, -err, &v);
    napi_resolve_deferred(env, r->deferred, v);
    Unref(r);  // the thread's reference
  }
  napi_value handle;
  napi_create_external(env, r, FinalizeHandle, nullptr, &handle);
  napi_type_tag_object(env, handle, &kWaitTag);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Value(env, promise));
  out.Set(1u, Napi::Value(env, handle));
  return out;
}

// flockWait(fd, operation) -> [Promise<0 | -errno | null>, handle]
Napi::Value FlockWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, op;
  if (info.Length() < 2 || !GetInt64(env, info[0], &fd) || !GetInt64(env, info[1], &op)) return env.Undefined();
  WaitReq* r = new WaitReq();
  r->is_flock = true;
  r->fd = (int)fd;
  r->op = (int)op;
  return Start(env, (Hub*)info.Data(), r);
}

// lockWait(fd, cmd, record) -> [Promise<0 | -errno | null>, handle]; cmd is
// F_SETLKW or F_OFD_SETLKW, record the int64 [type, whence, start, len, pid].
Napi::Value LockWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd, cmd;
  uint8_t* data;
  size_t len;
  if (info.Length() < 3 || !GetInt64(env, info[0], &fd) || !GetInt64(env, info[1], &cmd) ||
      !GetView(env, info[2], &data, &len))
    return env.Undefined();
  if ((cmd != F_SETLKW && cmd != F_OFD_SETLKW) || len < 5 * sizeof(int64_t))
    return Napi::Value(env, ThrowRange(env, "lockWait: bad command or record"));
  WaitReq* r = new WaitReq();
  r->is_flock = false;
  r->fd = (int)fd;
  r->op = (int)cmd;
  memset(&r->fl, 0, sizeof r->fl);
  const int64_t* rec = (const int64_t*)data;
  r->fl.l_type = (short)rec[0];
  r->fl.l_whence = (short)rec[1];
  r->fl.l_start = (off_t)rec[2];
  r->fl.l_len = (off_t)rec[3];
  return Start(env, (Hub*)info.Data(), r);
}

// cancelWait(handle): marks the wait aborted and interrupts it. Returns false
// once the wait has finished, true while it still needs waking.
Napi::Value CancelWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  bool ours = false;
  if (info.Length() >= 1 && info[0].IsExternal()) napi_check_object_type_tag(env, info[0], &kWaitTag, &ours);
  WaitReq* r = ours ? info[0].As<Napi::External<WaitReq>>().Data() : nullptr;
  if (r == nullptr) return Napi::Value(env, ThrowType(env, "bad wait handle"));
  r->aborted.store(true);
  // Wake only while the waiter is still on the pending list (it unlinks itself
  // under mu before it exits), so a tid reused by another thread is never hit.
  // The waiter may be between its start and storing its tid: then it will
  // see `aborted` before blocking, or the next cancelWait wakes it.
  Hub* h = r->hub;
  pthread_mutex_lock(&h->mu);
  bool pending = !r->done.load() && (r->prev != nullptr || h->head == r);
  if (pending) Wake(r->tid.load());
  pthread_mutex_unlock(&h->mu);
  return Napi::Boolean::New(env, pending);
}

}  // namespace

void InitBlocking(Napi::Env env, Napi::Object exports) {
  Hub* h = new Hub();
  pthread_mutex_init(&h->mu, nullptr);
  napi_value name;
  napi_create_string_utf8(env, "rawsys:wait", NAPI_AUTO_LENGTH, &name);
  napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, h, CallJs, &h->tsfn);
  napi_unref_threadsafe_function(env, h->tsfn);
  // Registered after the threadsafe function: cleanup hooks run in reverse
  // order, so this one runs before Node finalizes it.
  napi_add_env_cleanup_hook(env, Cleanup, h);
  exports.Set("flockWait", Napi::Function::New(env, FlockWait, "flockWait", h));
  exports.Set("lockWait", Napi::Function::New(env, LockWait, "lockWait", h));
  exports.Set("cancelWait", Napi::Function::New(env, CancelWait, "cancelWait", h));
}

}  // namespace rawsys
