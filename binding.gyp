{
  "targets": [
    {
      "target_name": "rawsys",
      "sources": [
        "native/binding.cc",
        "native/blocking.cc",
        "native/constants.cc",
        "native/creds.cc",
        "native/dispatch.cc",
        "native/fd.cc",
        "native/landlock.cc",
        "native/ns.cc",
        "native/plan.cc",
        "native/runtime.cc",
        "native/seccomp.cc",
        "native/signal.cc",
        "native/syscall.cc",
        "native/wait.cc",
        "native/xattr.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
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
