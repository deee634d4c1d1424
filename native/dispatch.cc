// The dispatcher: decodes JS arguments by a Spec's signature, runs the core
// inline (sync export) or on the libuv threadpool (async export), and turns
// the result into a JS value. Lifetime rules for async work:
//  - buffers are pinned with a strong napi_ref on the JS thread before the
//    work is queued and unpinned in the completion callback, so the garbage
//    collector cannot free memory a threadpool thread is reading or writing;
//  - strings are copied (Storage), so nothing else from JS is used off-thread;
//  - Execute() touches no JS value.
#include "common.h"

#include <stdio.h>

namespace rawsys {

napi_value ThrowType(napi_env env, const char* msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return nullptr;
}

napi_value ThrowRange(napi_env env, const char* msg) {
  napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
  return nullptr;
}

// Hot path: one N-API call for a number (TypeScript has checked it is a safe
// integer), a second only for a bigint or a wrong type.
bool GetInt64(napi_env env, napi_value v, int64_t* out) {
  double d;
  napi_status st = napi_get_value_double(env, v, &d);
  if (st == napi_ok) {
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0) || d != (double)(int64_t)d) {
      ThrowRange(env, "integer argument out of range");
      return false;
    }
    *out = (int64_t)d;
    return true;
  }
  bool lossless;
  if (napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok) {
    if (!lossless) {
      ThrowRange(env, "bigint argument does not fit in 64 bits");
      return false;
    }
    return true;
  }
  ThrowType(env, "integer argument must be a number or bigint");
  return false;
}

bool GetView(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is;
  void* p = nullptr;
  // Node's napi_get_buffer_info accepts any ArrayBufferView and gives its
  // bytes in one call; the typed-array and DataView paths are the fallback.
  if (napi_get_buffer_info(env, v, &p, len) == napi_ok) {
    *data = (uint8_t*)p;
    return true;
  }
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t n;
    napi_value ab;
    size_t off;
    napi_get_typedarray_info(env, v, &type, &n, &p, &ab, &off);
    static const uint8_t kSize[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};
    *data = (uint8_t*)p;
    *len = n * (type < sizeof(kSize) ? kSize[type] : 1);
    return true;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    napi_value ab;
    size_t off;
    napi_get_dataview_info(env, v, len, &p, &ab, &off);
    *data = (uint8_t*)p;
    return true;
  }
  ThrowType(env, "argument must be a Buffer, TypedArray or DataView");
  return false;
}

// Reads an (offset, length) pair and checks that it lies inside a view of
// `len` bytes. False with a pending error otherwise.
static bool GetRange(napi_env env, napi_value voff, napi_value vlen, size_t len, int64_t* off, int64_t* n) {
  if (!GetInt64(env, voff, off) || !GetInt64(env, vlen, n)) return false;
  if (*off < 0 || *n < 0 || (uint64_t)*off > len || (uint64_t)*n > len - (uint64_t)*off)
    return ThrowRange(env, "offset and length must lie within the buffer"), false;
  return true;
}

namespace {

// Copies a string or Buffer argument, NUL-terminated, into storage.
bool GetString(napi_env env, napi_value v, Storage& st, int slot, const char** out, size_t* outlen) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  char* dst = st.inl[slot];
  if (t == napi_string) {
    size_t n;
    napi_get_value_string_utf8(env, v, dst, kInlineString, &n);
    // Only whole UTF-8 characters are copied: a string cut short can end up
    // to 3 bytes before the buffer's end. Then measure and copy it whole.
    if (n >= kInlineString - 4) {
      napi_get_value_string_utf8(env, v, nullptr, 0, &n);
      dst = (char*)malloc(n + 1);
      if (!dst) return ThrowRange(env, "out of memory"), false;
      st.heap[st.nheap++] = dst;
      napi_get_value_string_utf8(env, v, dst, n + 1, &n);
    }
    *out = dst;
    *outlen = n;
    return true;
  }
  uint8_t* data;
  size_t n;
  if (t != napi_object || !GetView(env, v, &data, &n)) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (!pending) ThrowType(env, "argument must be a string or Buffer");
    return false;
  }
  if (memchr(data, 0, n) != nullptr) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", "string argument must not contain null bytes");
    return false;
  }
  if (n + 1 > (size_t)kInlineString) {
    dst = (char*)malloc(n + 1);
    if (!dst) return ThrowRange(env, "out of memory"), false;
    st.heap[st.nheap++] = dst;
  }
  memcpy(dst, data, n);
  dst[n] = 0;
  *out = dst;
  *outlen = n;
  return true;
}

bool Pin(napi_env env, napi_value v, Storage& st) {
  if (st.npins >= kMaxPins) return ThrowRange(env, "too many buffers"), false;
  return napi_create_reference(env, v, 1, &st.pins[st.npins++]) == napi_ok;
}

bool ParseIov(napi_env env, napi_value arr, Args& a, Storage& st, bool pin) {
  bool is;
  uint32_t n;
  if (napi_is_array(env, arr, &is) != napi_ok || !is) return ThrowType(env, "buffers must be an array"), false;
  napi_get_array_length(env, arr, &n);
  if (n > IOV_MAX) return ThrowRange(env, "too many buffers (IOV_MAX)"), false;
  struct iovec* iov = st.iov_inl;
  if (n > (uint32_t)kInlineIov) {
    iov = st.iov_heap = (struct iovec*)malloc(n * sizeof(struct iovec));
    if (!iov) return ThrowRange(env, "out of memory"), false;
  }
  for (uint32_t k = 0; k < n; k++) {
    napi_value e;
    uint8_t* d;
    size_t len;
    napi_get_element(env, arr, k, &e);
    if (!GetView(env, e, &d, &len)) return false;
    iov[k].iov_base = d;
    iov[k].iov_len = len;
  }
  a.iov = iov;
  a.iovcnt = (int)n;
  // The array is a private copy made by the TypeScript layer: pinning it pins
  // every buffer it holds.
  return !pin || Pin(env, arr, st);
}

bool ParseRaw(napi_env env, napi_value* argv, size_t argc, Args& a, Storage& st, bool pin) {
  if (argc > (size_t)kMaxRaw) return ThrowRange(env, "syscall takes at most 6 arguments"), false;
  for (size_t k = 0; k < argc; k++) {
    napi_valuetype t;
    napi_typeof(env, argv[k], &t);
    int64_t v = 0;
    if (t == napi_number) {
      if (!GetInt64(env, argv[k], &v)) return false;
    } else if (t == napi_bigint) {
      // Any 64-bit pattern: accept unsigned values up to 2^64-1 as well.
      int sign;
      size_t words = 1;
      uint64_t w = 0;
      napi_get_value_bigint_words(env, argv[k], &sign, &words, &w);
      if (words > 1) return ThrowRange(env, "bigint argument does not fit in 64 bits"), false;
      v = sign ? -(int64_t)w : (int64_t)w;
    } else if (t == napi_string) {
      // Copied to the heap, NUL-terminated; freed with the Storage.
      size_t len;
      napi_get_value_string_utf8(env, argv[k], nullptr, 0, &len);
      char* dst = (char*)malloc(len + 1);
      if (!dst) return ThrowRange(env, "out of memory"), false;
      st.heap[st.nheap++] = dst;
      napi_get_value_string_utf8(env, argv[k], dst, len + 1, &len);
      v = (int64_t)(uintptr_t)dst;
    } else if (t == napi_undefined || t == napi_null) {
      v = 0;
    } else if (t == napi_object) {
      uint8_t* d;
      size_t len;
      if (!GetView(env, argv[k], &d, &len)) return false;
      if (pin && !Pin(env, argv[k], st)) return false;
      v = (int64_t)(uintptr_t)d;
    } else {
      return ThrowType(env, "syscall arguments must be numbers, bigints, strings or buffers"), false;
    }
    a.x[a.nx++] = (uint64_t)v;
  }
  return true;
}

// Decodes argv by spec->sig. `pin` is true for async calls.
bool Parse(napi_env env, const Spec* spec, napi_value* argv, size_t argc, Args& a, Storage& st, bool pin) {
  size_t k = 0;
  for (const char* c = spec->sig; *c; c++) {
    if (*c == 'x') return ParseRaw(env, argv + k, argc - k, a, st, pin);
    if (k >= argc) return ThrowType(env, "missing argument"), false;
    napi_value v = argv[k++];
    switch (*c) {
      case 'i':
        if (a.ni >= kMaxInts) return ThrowRange(env, "too many integers"), false;
        if (!GetInt64(env, v, &a.i[a.ni++])) return false;
        break;
      case 'p': {
        if (a.ns >= kMaxStrings) return ThrowRange(env, "too many strings"), false;
        int slot = a.ns++;
        if (!GetString(env, v, st, slot, &a.s[slot], &a.slen[slot])) return false;
        break;
      }
      case 'B':
      case 'b': {
        uint8_t* d;
        size_t len;
        if (!GetView(env, v, &d, &len)) return false;
        if (*c == 'b') {
          int64_t off, n;
          if (k + 2 > argc) return ThrowType(env, "missing offset or length"), false;
          if (!GetRange(env, argv[k], argv[k + 1], len, &off, &n)) return false;
          k += 2;
          d += off;
          len = (size_t)n;
        }
        a.data = d;
        a.size = len;
        if (pin && !Pin(env, v, st)) return false;
        break;
      }
      case 'v':
        if (!ParseIov(env, v, a, st, pin)) return false;
        break;
      default:
        return ThrowType(env, "rawsys: bad signature"), false;
    }
  }
  return true;
}

napi_value MakeResult(napi_env env, const Spec* spec, Args& a, int64_t r) {
  napi_value out = nullptr;
  if (r < 0) {
    napi_create_int64(env, r, &out);  // -errno; TypeScript makes the SyscallError
  } else if (spec->ret == kBytes) {
    void* copy;
    napi_create_buffer_copy(env, a.outlen, a.out ? a.out : (uint8_t*)"", &copy, &out);
  } else if (spec->ret == kBigInt) {
    napi_create_bigint_int64(env, r, &out);
  } else if (r <= 9007199254740991LL) {
    napi_create_int64(env, r, &out);
  } else {
    napi_create_bigint_int64(env, r, &out);
  }
  free(a.out);
  a.out = nullptr;
  return out;
}

napi_value SyncCall(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  size_t argc = 10;
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  const Spec* spec = (const Spec*)data;
  Args a;
  Storage st;
  if (!Parse(env, spec, argv, argc, a, st, false)) return nullptr;
  int64_t r = spec->fn(a);
  return MakeResult(env, spec, a, r);
}

// The hot path of read/pread/write/pwrite: (fd, view, offset, length[, pos])
// decoded with the fewest N-API calls, no signature walk, no Storage. Same
// checks as Parse: integers exact, the range inside the view. The compact
// form (fd, view[, pos]) means the whole view and saves two argument reads.
napi_value FastIoCall(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  size_t argc = 5;
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  const Spec* spec = (const Spec*)data;
  bool positional = spec->sig[2] != 0;
  size_t full = positional ? 5 : 4;
  bool compact = argc < full;
  if (argc < full - 2) return ThrowType(env, "missing argument");
  Args a;
  uint8_t* d;
  size_t len;
  if (!GetInt64(env, argv[0], &a.i[0]) || !GetView(env, argv[1], &d, &len)) return nullptr;
  int64_t off = 0, n = (int64_t)len;
  if (!compact) {
    if (!GetRange(env, argv[2], argv[3], len, &off, &n)) return nullptr;
  }
  if (positional && !GetInt64(env, argv[compact ? 2 : 4], &a.i[1])) return nullptr;
  a.data = d + off;
  a.size = (size_t)n;
  napi_value out;
  napi_create_int64(env, spec->fn(a), &out);
  return out;
}

struct Req {
  napi_async_work work = nullptr;
  napi_deferred deferred = nullptr;
  const Spec* spec;
  int64_t result = 0;
  Args a;
  Storage st;
};

void Unpin(napi_env env, Storage& st) {
  for (int k = 0; k < st.npins; k++) napi_delete_reference(env, st.pins[k]);
  st.npins = 0;
}

void Execute(napi_env, void* data) {
  Req* req = (Req*)data;
  req->result = req->spec->fn(req->a);
}

void Complete(napi_env env, napi_status status, void* data) {
  Req* req = (Req*)data;
  // During environment teardown the promise may no longer be resolvable; the
  // request is still freed and its pins dropped.
  napi_value v = nullptr;
  if (status == napi_ok) v = MakeResult(env, req->spec, req->a, req->result);
  if (v == nullptr) {
    napi_value msg;
    napi_create_string_utf8(env, "rawsys: async call cancelled", NAPI_AUTO_LENGTH, &msg);
    napi_create_error(env, nullptr, msg, &v);
  }
  if (v != nullptr) {
    if (status == napi_ok) napi_resolve_deferred(env, req->deferred, v);
    else napi_reject_deferred(env, req->deferred, v);
  }
  free(req->a.out);
  Unpin(env, req->st);
  napi_delete_async_work(env, req->work);
  delete req;
}

napi_value AsyncCall(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  size_t argc = 10;
  void* data;
  napi_get_cb_info(env, info, &argc, argv, nullptr, &data);
  const Spec* spec = (const Spec*)data;
  Req* req = new Req();
  req->spec = spec;
  if (!Parse(env, spec, argv, argc, req->a, req->st, true)) {
    Unpin(env, req->st);
    delete req;
    return nullptr;
  }
  napi_value promise, name;
  napi_create_promise(env, &req->deferred, &promise);
  napi_create_string_utf8(env, spec->name, NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, nullptr, name, Execute, Complete, req, &req->work) != napi_ok ||
      napi_queue_async_work(env, req->work) != napi_ok) {
    Unpin(env, req->st);
    if (req->work) napi_delete_async_work(env, req->work);
    delete req;
    return ThrowRange(env, "rawsys: could not queue async work");
  }
  return promise;
}

}  // namespace

void Register(Napi::Env env, Napi::Object exports, const Spec* specs, size_t n) {
  for (size_t k = 0; k < n; k++) {
    const Spec* s = &specs[k];
    char async_name[64];
    snprintf(async_name, sizeof async_name, "%sAsync", s->name);
    napi_value f;
    bool fast_io = s->ret == kInt && (strcmp(s->sig, "ib") == 0 || strcmp(s->sig, "ibi") == 0);
    napi_create_function(env, s->name, NAPI_AUTO_LENGTH, fast_io ? FastIoCall : SyncCall, (void*)s, &f);
    exports.Set(s->name, Napi::Value(env, f));
    if (s->thread_bound) continue;
    napi_create_function(env, async_name, NAPI_AUTO_LENGTH, AsyncCall, (void*)s, &f);
    exports.Set(async_name, Napi::Value(env, f));
  }
}

}  // namespace rawsys
