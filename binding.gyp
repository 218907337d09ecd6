{
  "targets": [
    {
      "target_name": "ebpf_native",
      "sources": ["native/addon.cc"],
      "cflags_cc": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=c++17"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
