// Registers every area of the addon. Context-aware (node-addon-api modules
// are), so it loads in worker_threads; all state is per environment.
#include "common.h"

#ifndef RAWSYS_SOURCE_HASH
#define RAWSYS_SOURCE_HASH "unknown"
#endif

namespace rawsys {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitConstants(env, exports);
  InitFd(env, exports);
  InitXattr(env, exports);
  InitSyscall(env, exports);
  InitBlocking(env, exports);
  InitPlan(env, exports);
  InitWait(env, exports);
  InitCreds(env, exports);
  InitSignal(env, exports);
  InitNs(env, exports);
  InitLandlock(env, exports);
  InitSeccomp(env, exports);
  InitInitImage(env, exports);
  // Hash of native/ and binding.gyp this binary was built from (see
  // scripts/source-hash.js); test/prebuild.test.js compares it with the tree.
  exports.Set("sourceHash", Napi::String::New(env, RAWSYS_SOURCE_HASH));
  return exports;
}

}  // namespace rawsys

static Napi::Object InitRawsys(Napi::Env env, Napi::Object exports) { return rawsys::Init(env, exports); }

NODE_API_MODULE(rawsys, InitRawsys)
