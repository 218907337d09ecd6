// Experiment only (never shipped): how much of the N-API cost of native/addon.cc bpf()
// is argument handling. `generic` mirrors Bpf() without pointer pairs; `slot` takes an
// attr registered once plus two int32s. See bench/maps/experiments/README.md.
#include <node_api.h>
#include <cerrno>
#include <cstdint>
#include <sys/syscall.h>
#include <unistd.h>
static uint8_t* slots[64]; static size_t slotLen[64]; static int nslots;
static napi_value Int(napi_env env, int64_t v) { napi_value o; napi_create_int64(env, v, &o); return o; }
// Same shape as native/addon.cc Bpf with no pointer pairs: cb_info(12), int32, is_typedarray, typedarray_info.
static napi_value Generic(napi_env env, napi_callback_info info) {
  size_t argc = 12; napi_value argv[12];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t cmd; napi_get_value_int32(env, argv[0], &cmd);
  bool is; napi_is_typedarray(env, argv[1], &is);
  napi_typedarray_type t; size_t len, off; napi_value ab; void* p;
  napi_get_typedarray_info(env, argv[1], &t, &len, &p, &ab, &off);
  long r = syscall(__NR_bpf, cmd, p, len);
  return Int(env, r < 0 ? -errno : r);
}
static napi_value Register(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1]; napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  napi_typedarray_type t; size_t len, off; napi_value ab; void* p;
  napi_get_typedarray_info(env, argv[0], &t, &len, &p, &ab, &off);
  slots[nslots] = (uint8_t*)p; slotLen[nslots] = len; return Int(env, nslots++);
}
// bpfSlot(cmd, slot): the attr was registered once (its backing store never moves).
static napi_value Slot(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t cmd, slot; napi_get_value_int32(env, argv[0], &cmd); napi_get_value_int32(env, argv[1], &slot);
  long r = syscall(__NR_bpf, cmd, slots[slot], slotLen[slot]);
  napi_value o; napi_create_int32(env, r < 0 ? -errno : (int32_t)r, &o); return o;
}
static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
    {"generic", nullptr, Generic, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"register", nullptr, Register, nullptr, nullptr, nullptr, napi_default, nullptr},
    {"slot", nullptr, Slot, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, 3, d); return exports;
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
