// Seccomp filters compiled by the system's libseccomp, in the parent.
//
// libseccomp is not linked: it is dlopen'ed at run time (libseccomp.so.2,
// RTLD_NOW | RTLD_LOCAL) the first time a filter is asked for, so neither a
// build nor the prebuild needs its headers or the library, and a machine
// without it only loses seccomp. The handle belongs to the environment (main
// thread or Worker) that opened it and is closed by its cleanup hook.
//
// A filter is compiled here, in the parent, before any clone: seccomp_init
// with the default action, the architectures, one seccomp_rule_add_array per
// rule, then seccomp_export_bpf into a memfd, read back as the raw
// `struct sock_filter[]` the kernel takes. seccomp_load is never called (it
// would filter Node itself); the child plan loads the bytes with a raw
// seccomp(2) (see the kSeccomp step in plan.cc).
//
// Threads: libseccomp keeps process-wide state (its API level and the kernel
// features it probed) without locks, so compilations from several
// environments take one process-wide mutex. Everything runs on the JS thread.
#include "common.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif

namespace rawsys {
namespace {

// --- libseccomp's ABI --------------------------------------------------------
// The few items of <seccomp.h> used here, declared by hand so that no build
// needs libseccomp's headers. They are libseccomp's stable ABI: the enum values
// and the struct layout have not changed since 2.0 (soname libseccomp.so.2),
// and actions are the kernel's SECCOMP_RET_* values, which TypeScript builds
// from <linux/seccomp.h> constants.

// enum scmp_compare: SCMP_CMP_NE = 1 … SCMP_CMP_MASKED_EQ = 7.
constexpr uint64_t kCmpMin = 1, kCmpMax = 7;

// struct scmp_arg_cmp.
struct ScmpArgCmp {
  unsigned int arg;  // argument index, 0-5
  int op;            // enum scmp_compare
  uint64_t datum_a;  // scmp_datum_t: the value, or the mask for MASKED_EQ
  uint64_t datum_b;  // the value for MASKED_EQ
};

// enum scmp_filter_attr values.
constexpr int kAttrCtlNnp = 3;       // SCMP_FLTATR_CTL_NNP (2.0)
constexpr int kAttrCtlOptimize = 8;  // SCMP_FLTATR_CTL_OPTIMIZE (2.5)

constexpr int kNrScmpError = -1;  // __NR_SCMP_ERROR: a name libseccomp does not know

struct ScmpVersion {  // struct scmp_version
  unsigned int major, minor, micro;
};

typedef void* ScmpCtx;

// --- the library, per environment ---------------------------------------------

struct Lib {
  void* handle = nullptr;
  char* path = nullptr;  // what `handle` was opened from
  ScmpCtx (*init)(uint32_t def_action);
  void (*release)(ScmpCtx);
  int (*attr_set)(ScmpCtx, int attr, uint32_t value);
  uint32_t (*arch_resolve_name)(const char*);
  uint32_t (*arch_native)(void);
  int (*arch_add)(ScmpCtx, uint32_t token);
  int (*syscall_resolve_name)(const char*);
  int (*syscall_resolve_name_arch)(uint32_t token, const char*);
  int (*rule_add_array)(ScmpCtx, uint32_t action, int nr, unsigned int argc, const ScmpArgCmp*);
  int (*export_bpf)(const ScmpCtx, int fd);
  const ScmpVersion* (*version)(void);  // optional: not in every release
};

pthread_mutex_t lib_mu = PTHREAD_MUTEX_INITIALIZER;  // process-wide: see the top of this file

void Unload(Lib* l) {
  if (l->handle) dlclose(l->handle);
  free(l->path);
  l->handle = nullptr;
  l->path = nullptr;
}

void Cleanup(void* arg) {
  Lib* l = (Lib*)arg;
  Unload(l);
  delete l;
}

// Opens `path` unless it is what is open already. False with a message in
// `err` when the library or one of its functions is missing.
bool Load(Lib* l, const char* path, char* err, size_t errlen) {
  if (l->handle && strcmp(l->path, path) == 0) return true;
  Unload(l);
  dlerror();
  void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    snprintf(err, errlen, "%s", e ? e : "dlopen failed");
    return false;
  }
  struct {
    const char* name;
    void** slot;
    bool optional;
  } syms[] = {
      {"seccomp_init", (void**)&l->init, false},
      {"seccomp_release", (void**)&l->release, false},
      {"seccomp_attr_set", (void**)&l->attr_set, false},
      {"seccomp_arch_resolve_name", (void**)&l->arch_resolve_name, false},
      {"seccomp_arch_native", (void**)&l->arch_native, false},
      {"seccomp_arch_add", (void**)&l->arch_add, false},
      {"seccomp_syscall_resolve_name", (void**)&l->syscall_resolve_name, false},
      {"seccomp_syscall_resolve_name_arch", (void**)&l->syscall_resolve_name_arch, false},
      {"seccomp_rule_add_array", (void**)&l->rule_add_array, false},
      {"seccomp_export_bpf", (void**)&l->export_bpf, false},
      {"seccomp_version", (void**)&l->version, true},
  };
  for (auto& s : syms) {
    *s.slot = dlsym(h, s.name);
    if (!*s.slot && !s.optional) {
      snprintf(err, errlen, "%s: undefined symbol %s", path, s.name);
      dlclose(h);
      return false;
    }
  }
  l->path = strdup(path);
  if (!l->path) {
    snprintf(err, errlen, "out of memory");
    dlclose(h);
    return false;
  }
  l->handle = h;
  return true;
}

// A copied string argument, or nullptr with a pending TypeError.
char* CopyString(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t != napi_string) return ThrowType(env, "seccomp: string argument expected"), nullptr;
  size_t n;
  napi_get_value_string_utf8(env, v, nullptr, 0, &n);
  char* s = (char*)malloc(n + 1);
  if (!s) return ThrowRange(env, "out of memory"), nullptr;
  napi_get_value_string_utf8(env, v, s, n + 1, &n);
  if (strlen(s) != n) {
    free(s);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "seccomp: strings must not contain null bytes");
    return nullptr;
  }
  return s;
}

struct StringList {
  char** s = nullptr;
  uint32_t n = 0;
  ~StringList() {
    for (uint32_t k = 0; k < n; k++) free(s[k]);
    free(s);
  }
};

bool CopyStrings(napi_env env, napi_value arr, StringList& out) {
  bool is;
  uint32_t n;
  if (napi_is_array(env, arr, &is) != napi_ok || !is) return ThrowType(env, "seccomp: array of strings expected"), false;
  napi_get_array_length(env, arr, &n);
  out.s = (char**)calloc(n ? n : 1, sizeof(char*));
  if (!out.s) return ThrowRange(env, "out of memory"), false;
  for (uint32_t k = 0; k < n; k++) {
    napi_value v;
    napi_get_element(env, arr, k, &v);
    out.s[k] = CopyString(env, v);
    if (!out.s[k]) return false;
    out.n = k + 1;
  }
  return true;
}

Lib* LibOf(napi_env env, napi_callback_info info, napi_value* argv, size_t* argc) {
  void* data;
  napi_get_cb_info(env, info, argc, argv, nullptr, &data);
  return (Lib*)data;
}

// seccompVersion(libPath) -> [major, minor, micro] ([0, 0, 0] when the
// library cannot tell), or the loader's message (a string) when it is missing.
napi_value Version(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  Lib* l = LibOf(env, info, argv, &argc);
  if (argc < 1) return ThrowType(env, "seccompVersion: missing argument");
  char* path = CopyString(env, argv[0]);
  if (!path) return nullptr;
  char err[512];
  unsigned int v[3] = {0, 0, 0};
  pthread_mutex_lock(&lib_mu);
  bool ok = Load(l, path, err, sizeof err);
  if (ok && l->version) {
    const ScmpVersion* sv = l->version();
    if (sv) v[0] = sv->major, v[1] = sv->minor, v[2] = sv->micro;
  }
  pthread_mutex_unlock(&lib_mu);
  free(path);
  napi_value res;
  if (!ok) {
    napi_create_string_utf8(env, err, NAPI_AUTO_LENGTH, &res);
    return res;
  }
  napi_create_array_with_length(env, 3, &res);
  for (uint32_t k = 0; k < 3; k++) {
    napi_value x;
    napi_create_uint32(env, v[k], &x);
    napi_set_element(env, res, k, x);
  }
  return res;
}

// One rule record: 28 uint64 words.
//   [0] index into names   [1] action (SECCOMP_RET_* | data)
//   [2] argument count     [3] index of the profile rule it came from
//   [4 + 4k ..] comparison k: argument index, op, datum_a, datum_b
constexpr size_t kRuleWords = 28;
constexpr uint64_t kMaxArgs = 6;

// Why a compilation failed: the libseccomp (or libc) call, its errno, and the
// index of the architecture or rule it was about (-1 when none).
struct Failure {
  const char* fn = nullptr;
  int err = 0;
  int64_t index = -1;
  void Set(const char* f, int e, int64_t i = -1) {
    fn = f;
    err = e > 0 && e < 4096 ? e : EINVAL;  // libseccomp returns -errno; anything else is a bad argument
    index = i;
  }
};

// Exports ctx's BPF program into a memfd and reads it back into *out.
bool Export(Lib* l, ScmpCtx ctx, uint8_t** out, size_t* outlen, Failure& f) {
  int fd = memfd_create("rawsys-seccomp", MFD_CLOEXEC);
  if (fd < 0) return f.Set("memfd_create", errno), false;
  bool ok = false;
  int r = l->export_bpf(ctx, fd);
  if (r < 0) {
    f.Set("seccomp_export_bpf", -r);
  } else {
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < 0) {
      f.Set("lseek", errno);
    } else {
      uint8_t* buf = (uint8_t*)malloc(size ? (size_t)size : 1);
      size_t got = 0;
      if (!buf) {
        f.Set("malloc", ENOMEM);
      } else {
        while (got < (size_t)size) {
          ssize_t n = pread(fd, buf + got, (size_t)size - got, (off_t)got);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) break;
          got += (size_t)n;
        }
        if (got == (size_t)size) {
          *out = buf;
          *outlen = got;
          ok = true;
        } else {
          f.Set("read", errno ? errno : EIO);
          free(buf);
        }
      }
    }
  }
  close(fd);
  return ok;
}

// seccompCompile(libPath, defaultAction, arches[], names[], rules BigUint64Array)
//   -> the loader's message (a string) when the library is missing, else
//      [errno, failedCall, index, filter Buffer | null, skipped name indexes[]]
// with errno 0 on success. Names libseccomp cannot resolve, or that are no
// system call on any of the filter's architectures, are skipped.
napi_value Compile(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  Lib* l = LibOf(env, info, argv, &argc);
  if (argc < 5) return ThrowType(env, "seccompCompile: missing arguments");
  char* path = CopyString(env, argv[0]);
  if (!path) return nullptr;
  int64_t def_action;
  StringList arches, names;
  uint8_t* recb;
  size_t reclen;
  if (!GetInt64(env, argv[1], &def_action) || !CopyStrings(env, argv[2], arches) || !CopyStrings(env, argv[3], names) ||
      !GetView(env, argv[4], &recb, &reclen)) {
    free(path);
    return nullptr;
  }
  if (def_action < 0 || def_action > UINT32_MAX || reclen % (kRuleWords * 8) != 0 || ((uintptr_t)recb & 7) != 0) {
    free(path);
    return ThrowRange(env, "seccompCompile: bad action or rule records");
  }
  // Check every record before libseccomp sees any.
  const uint64_t* rec = (const uint64_t*)recb;
  size_t nrec = reclen / (kRuleWords * 8);
  for (size_t k = 0; k < nrec; k++) {
    const uint64_t* w = rec + k * kRuleWords;
    bool ok = w[0] < names.n && w[1] <= UINT32_MAX && w[2] <= kMaxArgs;
    for (uint64_t a = 0; ok && a < w[2]; a++) {
      const uint64_t* c = w + 4 + a * 4;
      ok = c[0] < kMaxArgs && c[1] >= kCmpMin && c[1] <= kCmpMax;
    }
    if (!ok) {
      free(path);
      return ThrowRange(env, "seccompCompile: bad rule record");
    }
  }

  char err[512];
  int* nr = (int*)calloc(names.n ? names.n : 1, sizeof(int));
  uint32_t* tokens = (uint32_t*)calloc(arches.n + 1, sizeof(uint32_t));
  if (!nr || !tokens) {
    free(nr);
    free(tokens);
    free(path);
    return ThrowRange(env, "out of memory");
  }
  Failure f;
  uint8_t* filter = nullptr;
  size_t filterlen = 0;
  ScmpCtx ctx = nullptr;

  pthread_mutex_lock(&lib_mu);
  bool loaded = Load(l, path, err, sizeof err);
  if (loaded) {
    ctx = l->init((uint32_t)def_action);
    if (!ctx) f.Set("seccomp_init", EINVAL);  // an action this libseccomp or kernel does not support
  }
  if (ctx) {
    // The filter is exported, never loaded by libseccomp: it must not ask
    // for no_new_privs on our behalf (the plan decides).
    int r = l->attr_set(ctx, kAttrCtlNnp, 0);
    if (r < 0) f.Set("seccomp_attr_set", -r);
  }
  uint32_t ntok = 0;
  if (ctx && !f.fn) {
    tokens[ntok++] = l->arch_native();
    for (uint32_t k = 0; k < arches.n && !f.fn; k++) {
      uint32_t t = l->arch_resolve_name(arches.s[k]);
      if (t == 0) {
        f.Set("seccomp_arch_resolve_name", EINVAL, k);
        break;
      }
      int r = l->arch_add(ctx, t);
      if (r == -EEXIST) continue;  // the native one, or listed twice
      if (r < 0) f.Set("seccomp_arch_add", -r, k);
      else tokens[ntok++] = t;
    }
  }
  napi_value skipped;
  napi_create_array(env, &skipped);
  if (ctx && !f.fn) {
    uint32_t nskip = 0;
    for (uint32_t k = 0; k < names.n; k++) {
      int n = l->syscall_resolve_name(names.s[k]);
      // libseccomp resolves a name it knows on another architecture to a
      // negative pseudo number: a system call only where some architecture
      // of this filter has it.
      bool real = false;
      for (uint32_t t = 0; n != kNrScmpError && t < ntok && !real; t++)
        real = l->syscall_resolve_name_arch(tokens[t], names.s[k]) >= 0;
      nr[k] = real ? n : kNrScmpError;
      if (!real) {
        napi_value x;
        napi_create_uint32(env, k, &x);
        napi_set_element(env, skipped, nskip++, x);
      }
    }
    size_t added = 0;
    for (size_t k = 0; k < nrec && !f.fn; k++) {
      const uint64_t* w = rec + k * kRuleWords;
      if (nr[w[0]] == kNrScmpError) continue;
      added++;
      ScmpArgCmp cmp[kMaxArgs];
      for (uint64_t a = 0; a < w[2]; a++) {
        const uint64_t* c = w + 4 + a * 4;
        cmp[a] = {(unsigned int)c[0], (int)c[1], c[2], c[3]};
      }
      int r = l->rule_add_array(ctx, (uint32_t)w[1], nr[w[0]], (unsigned int)w[2], cmp);
      if (r < 0) f.Set("seccomp_rule_add", -r, (int64_t)w[3]);
    }
    // A binary tree of syscall numbers (2.5+): O(log n) per call for long
    // allowlists, where the default is a linear chain. Only for more than a
    // few rules, as runc does: up to 2.5.3, a tree without rules ignored the
    // default action. Older releases refuse the attribute; their chain works.
    if (added >= 8) l->attr_set(ctx, kAttrCtlOptimize, 2);
  }
  if (ctx && !f.fn) Export(l, ctx, &filter, &filterlen, f);
  if (ctx) l->release(ctx);
  pthread_mutex_unlock(&lib_mu);
  free(nr);
  free(tokens);
  free(path);

  napi_value res;
  if (!loaded) {
    napi_create_string_utf8(env, err, NAPI_AUTO_LENGTH, &res);
    return res;
  }
  napi_value v[5];
  napi_create_int32(env, f.fn ? f.err : 0, &v[0]);
  if (f.fn) napi_create_string_utf8(env, f.fn, NAPI_AUTO_LENGTH, &v[1]);
  else napi_get_null(env, &v[1]);
  napi_create_int64(env, f.index, &v[2]);
  if (filter) {
    void* copy;
    napi_create_buffer_copy(env, filterlen, filter, &copy, &v[3]);
    free(filter);
  } else {
    napi_get_null(env, &v[3]);
  }
  v[4] = skipped;
  napi_create_array_with_length(env, 5, &res);
  for (uint32_t k = 0; k < 5; k++) napi_set_element(env, res, k, v[k]);
  return res;
}

}  // namespace

void InitSeccomp(Napi::Env env, Napi::Object exports) {
  Lib* l = new Lib();
  napi_add_env_cleanup_hook(env, Cleanup, l);
  napi_value f;
  napi_create_function(env, "seccompCompile", NAPI_AUTO_LENGTH, Compile, l, &f);
  exports.Set("seccompCompile", Napi::Value(env, f));
  napi_create_function(env, "seccompVersion", NAPI_AUTO_LENGTH, Version, l, &f);
  exports.Set("seccompVersion", Napi::Value(env, f));
}

}  // namespace rawsys
