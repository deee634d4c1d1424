// The init image: rawsys-init (native/init/init.c), compiled with the addon
// and embedded in it by scripts/embed-init.js, handed to plans as a sealed
// memfd that the init step execs with execveat(fd, "", AT_EMPTY_PATH).
//
// One memfd per process, made on first use and kept open for the life of the
// process: a descriptor belongs to the process, not to a Node environment,
// so every worker thread shares it (this is the one piece of process-wide
// state in the addon, behind a mutex). It is close-on-exec, and sealed
// (F_SEAL_SEAL|SHRINK|GROW|WRITE, plus F_SEAL_EXEC on Linux 6.3+), so no
// holder can change what runs as PID 1. Before each use the cached number is
// checked (fstat: same inode; F_GET_SEALS: still sealed), and a new memfd is
// made if user code closed it and the number now names something else.
#include "common.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rawsys/init_image.h"  // generated: kInitImage, kInitImageSize

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001U
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U  // Linux 6.3: executable even where vm.memfd_noexec=1
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020  // Linux 6.3
#endif
#ifndef SYS_memfd_create
#define SYS_memfd_create 319
#endif

namespace rawsys {
namespace {

constexpr int kSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE;

pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
int g_fd = -1;
uint64_t g_ino;
uint32_t g_dev[2];

enum Stage { kMemfdCreate, kWrite, kSeal };

// A new sealed memfd holding the image, or -errno with *stage set.
int Create(int* stage) {
  *stage = kMemfdCreate;
  // MFD_EXEC first: without it a 6.3+ kernel with vm.memfd_noexec=1 makes
  // the memfd non-executable; older kernels refuse the flag (EINVAL).
  int fd = (int)syscall(SYS_memfd_create, "rawsys-init", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL) fd = (int)syscall(SYS_memfd_create, "rawsys-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -errno;
  *stage = kWrite;
  size_t done = 0;
  while (done < kInitImageSize) {
    ssize_t r = write(fd, kInitImage + done, kInitImageSize - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int e = r < 0 ? errno : EIO;
      close(fd);
      return -e;
    }
    done += (size_t)r;
  }
  *stage = kSeal;
  if (fcntl(fd, F_ADD_SEALS, kSeals | F_SEAL_EXEC) < 0 && (errno != EINVAL || fcntl(fd, F_ADD_SEALS, kSeals) < 0)) {
    int e = errno;
    close(fd);
    return -e;
  }
  return fd;
}

// statx rather than fstat: glibc 2.33 made fstat a symbol of its own
// (fstat64@GLIBC_2.33); statx is GLIBC_2.28.
bool Identify(int fd, uint64_t* ino, uint32_t dev[2]) {
  struct statx st;
  if (statx(fd, "", AT_EMPTY_PATH, STATX_INO, &st) < 0) return false;
  *ino = st.stx_ino;
  dev[0] = st.stx_dev_major;
  dev[1] = st.stx_dev_minor;
  return true;
}

// Whether fd is still the memfd we made.
bool Valid(int fd) {
  uint64_t ino;
  uint32_t dev[2];
  if (!Identify(fd, &ino, dev) || ino != g_ino || dev[0] != g_dev[0] || dev[1] != g_dev[1]) return false;
  int seals = fcntl(fd, F_GET_SEALS);
  return seals >= 0 && (seals & kSeals) == kSeals;
}

// initImageFd(stage: Int32Array) -> fd, or -errno with stage[0] = 0
// (memfd_create), 1 (write) or 2 (fcntl F_ADD_SEALS).
napi_value InitImageFd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  size_t argc = 1;
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint8_t* out;
  size_t outlen;
  if (argc < 1 || !GetView(env, argv[0], &out, &outlen)) return nullptr;
  if (outlen < sizeof(int32_t)) return ThrowRange(env, "initImageFd: stage buffer too small");
  int stage = 0;
  int64_t res;
  pthread_mutex_lock(&g_lock);
  if (g_fd >= 0 && Valid(g_fd)) {
    res = g_fd;
  } else {
    // Gone (closed, or the number reused by someone else: not ours to close).
    g_fd = -1;
    int fd = Create(&stage);
    if (fd >= 0 && !Identify(fd, &g_ino, g_dev)) {
      stage = kMemfdCreate;
      int e = errno;
      close(fd);
      fd = -e;
    }
    if (fd >= 0) g_fd = fd;
    res = fd;
  }
  pthread_mutex_unlock(&g_lock);
  int32_t s = stage;
  memcpy(out, &s, sizeof s);
  napi_value v;
  napi_create_int64(env, res, &v);
  return v;
}

}  // namespace

void InitInitImage(Napi::Env env, Napi::Object exports) {
  napi_value f;
  napi_create_function(env, "initImageFd", NAPI_AUTO_LENGTH, InitImageFd, nullptr, &f);
  exports.Set("initImageFd", Napi::Value(env, f));
  exports.Set("initImageSize", Napi::Number::New(env, (double)kInitImageSize));
}

}  // namespace rawsys
