{ "targets": [ { "target_name": "napi_slot", "sources": ["napi-slot.cc"], "cflags_cc": ["-O2"] } ] }
