{
  "targets": [
    {
      # PID 1 for the plan step `init` (native/init/init.c): a static
      # executable without libc, built with the C compiler ($CC, so a cross
      # build makes one for the target) and embedded into the addon below.
      "target_name": "rawsys-init",
      "type": "executable",
      "sources": ["native/init/init.c"],
      # Node's common.gypi adds these for every target; none suits a static
      # program without libc.
      "cflags!": ["-fPIC", "-pthread", "-O3", "-fno-omit-frame-pointer"],
      "ldflags!": ["-pthread", "-rdynamic", "-fPIC"],
      "cflags": ["-Os", "-Wall", "-Wextra", "-ffreestanding", "-fno-builtin", "-fno-stack-protector", "-fno-pie",
                 "-fno-asynchronous-unwind-tables", "-fno-unwind-tables"],
      # One read-only executable segment, no build id, stripped: a few KiB.
      "ldflags": ["-nostdlib", "-static", "-no-pie", "-s", "-Wl,--build-id=none", "-Wl,-z,noexecstack",
                  "-Wl,-z,noseparate-code", "-Wl,-z,norelro"],
      "configurations": {
        "Release": { "cflags!": ["-O3"] },
        "Debug": { "cflags!": ["-g", "-O0"] }
      }
    },
    {
      "target_name": "rawsys",
      "dependencies": ["rawsys-init"],
      "actions": [
        {
          "action_name": "embed_init",
          "inputs": ["<(PRODUCT_DIR)/rawsys-init", "scripts/embed-init.js"],
          "outputs": ["<(SHARED_INTERMEDIATE_DIR)/rawsys/init_image.h"],
          "action": ["node", "scripts/embed-init.js", "<(PRODUCT_DIR)/rawsys-init", "<(SHARED_INTERMEDIATE_DIR)/rawsys/init_image.h"]
        }
      ],
      "sources": [
        "native/binding.cc",
        "native/blocking.cc",
        "native/constants.cc",
        "native/creds.cc",
        "native/dispatch.cc",
        "native/fd.cc",
        "native/landlock.cc",
        "native/init_image.cc",
        "native/ns.cc",
        "native/plan.cc",
        "native/runtime.cc",
        "native/seccomp.cc",
        "native/signal.cc",
        "native/syscall.cc",
        "native/wait.cc",
        "native/xattr.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<(SHARED_INTERMEDIATE_DIR)"],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "_GNU_SOURCE",
        "_FILE_OFFSET_BITS=64",
        "RAWSYS_SOURCE_HASH=\"<!(node scripts/source-hash.js)\""
      ],
      "cflags": ["-fvisibility=hidden", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers"],
      "cflags_cc": ["-std=gnu++17", "-fno-exceptions", "-fno-rtti"],
      "ldflags": ["-static-libstdc++", "-static-libgcc", "-Wl,--as-needed", "-Wl,-z,now"]
    }
  ]
}
