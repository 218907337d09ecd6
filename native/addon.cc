// The native layer of `ebpf`: raw system calls and nothing else.
//
// Every function here is a thin, policy-free wrapper of one system call. Struct
// layouts (union bpf_attr, perf_event_attr), constants and errno mapping all live
// in TypeScript (src/sys). A failing call returns -errno as a number instead of
// throwing, so the TypeScript side owns error classes and messages. Only argument
// *type* mistakes (a programming error in src/sys) throw a TypeError.
//
// Buffers passed in are ArrayBuffer-backed typed arrays whose backing stores do
// not move; the caller keeps them alive for the duration of the call.

#include <node_api.h>
#include <uv.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>
#include <fcntl.h>
#include <linux/bpf.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {

#define CHECK_NAPI(call)                                                       \
  do {                                                                         \
    if ((call) != napi_ok) return nullptr;                                     \
  } while (0)

napi_value Throw(napi_env env, const char* msg) {
  napi_throw_type_error(env, nullptr, msg);
  return nullptr;
}

napi_value Int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

napi_value ResultOrErrno(napi_env env, long r) {
  return Int(env, r < 0 ? -static_cast<int64_t>(errno) : r);
}

bool GetI64(napi_env env, napi_value v, int64_t* out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok) return false;
  if (t == napi_number) return napi_get_value_int64(env, v, out) == napi_ok;
  if (t == napi_bigint) {
    bool lossless;
    return napi_get_value_bigint_int64(env, v, out, &lossless) == napi_ok;
  }
  return false;
}

// Data pointer and length of a TypedArray, DataView or ArrayBuffer.
bool GetBytes(napi_env env, napi_value v, uint8_t** data, size_t* len) {
  bool is;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t length, offset;
    napi_value ab;
    void* p;
    if (napi_get_typedarray_info(env, v, &type, &length, &p, &ab, &offset) != napi_ok) return false;
    size_t elem = 1;
    switch (type) {
      case napi_int16_array: case napi_uint16_array: elem = 2; break;
      case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
      case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
      default: elem = 1;
    }
    *data = static_cast<uint8_t*>(p);
    *len = length * elem;
    return true;
  }
  if (napi_is_dataview(env, v, &is) == napi_ok && is) {
    napi_value ab;
    size_t offset;
    void* p;
    if (napi_get_dataview_info(env, v, len, &p, &ab, &offset) != napi_ok) return false;
    *data = static_cast<uint8_t*>(p);
    return true;
  }
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is) {
    void* p;
    if (napi_get_arraybuffer_info(env, v, &p, len) != napi_ok) return false;
    *data = static_cast<uint8_t*>(p);
    return true;
  }
  return false;
}

bool IsNullish(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  return t == napi_null || t == napi_undefined;
}

// bpf(cmd, attr[, offset, buffer]...) -> result or -errno.
// Each (offset, buffer) pair writes the buffer's address as a u64 at that byte
// offset of attr (null/undefined writes 0), then the syscall runs with
// size = attr.byteLength.
napi_value Bpf(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  if (argc < 2 || (argc - 2) % 2 != 0) return Throw(env, "bpf(cmd, attr, [offset, buffer]...)");
  int32_t cmd;
  if (napi_get_value_int32(env, argv[0], &cmd) != napi_ok) return Throw(env, "bpf: cmd must be a number");
  uint8_t* attr;
  size_t attrLen;
  if (!GetBytes(env, argv[1], &attr, &attrLen)) return Throw(env, "bpf: attr must be a Uint8Array");
  for (size_t i = 2; i + 1 < argc; i += 2) {
    uint32_t off;
    if (napi_get_value_uint32(env, argv[i], &off) != napi_ok || off + 8 > attrLen)
      return Throw(env, "bpf: pointer offset outside attr");
    uint64_t addr = 0;
    if (!IsNullish(env, argv[i + 1])) {
      uint8_t* p;
      size_t n;
      if (!GetBytes(env, argv[i + 1], &p, &n)) return Throw(env, "bpf: pointer target must be a Uint8Array");
      addr = reinterpret_cast<uintptr_t>(p);
    }
    std::memcpy(attr + off, &addr, 8);
  }
  long r = syscall(__NR_bpf, cmd, attr, attrLen);
  return ResultOrErrno(env, r);
}

// ---- registered attrs: the hot path of map element operations ---------------
//
// A map backend encodes each command's attr once (with its key/value buffer
// addresses already inside) and registers it here. Each operation is then
// bpfSlot(cmd, slot): two int32 arguments, no typed-array introspection, which
// saves most of the per-call N-API cost of bpf(cmd, attr). The JS side keeps
// the attr buffer alive while it is registered.

struct AttrSlot {
  void* data;
  uint32_t size;
};
std::vector<AttrSlot> g_slots;
std::vector<int32_t> g_freeSlots;

// registerAttr(attr) -> slot
napi_value RegisterAttr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  uint8_t* p;
  size_t n;
  if (argc < 1 || !GetBytes(env, argv[0], &p, &n)) return Throw(env, "registerAttr(attr)");
  int32_t slot;
  if (!g_freeSlots.empty()) {
    slot = g_freeSlots.back();
    g_freeSlots.pop_back();
    g_slots[slot] = AttrSlot{p, static_cast<uint32_t>(n)};
  } else {
    slot = static_cast<int32_t>(g_slots.size());
    g_slots.push_back(AttrSlot{p, static_cast<uint32_t>(n)});
  }
  return Int(env, slot);
}

// unregisterAttr(slot)
napi_value UnregisterAttr(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t slot;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &slot) != napi_ok || slot < 0 ||
      static_cast<size_t>(slot) >= g_slots.size() || g_slots[slot].data == nullptr)
    return Throw(env, "unregisterAttr(slot): not a registered slot");
  g_slots[slot] = AttrSlot{nullptr, 0};
  g_freeSlots.push_back(slot);
  return Int(env, 0);
}

// bpfSlot(cmd, slot) -> result or -errno
napi_value BpfSlot(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  int32_t cmd, slot;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &cmd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &slot) != napi_ok || slot < 0 ||
      static_cast<size_t>(slot) >= g_slots.size() || g_slots[slot].data == nullptr)
    return Throw(env, "bpfSlot(cmd, slot): not a registered slot");
  long r = syscall(__NR_bpf, cmd, g_slots[slot].data, g_slots[slot].size);
  napi_value out;
  napi_create_int32(env, r < 0 ? -errno : static_cast<int32_t>(r), &out);
  return out;
}

// addressOf(buffer) -> bigint: the address of a typed array's first byte, so hot
// paths can pre-patch attrs once and then call bpf(cmd, attr) with no patching.
napi_value AddressOf(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  uint8_t* p;
  size_t n;
  if (argc < 1 || !GetBytes(env, argv[0], &p, &n)) return Throw(env, "addressOf(buffer)");
  napi_value out;
  CHECK_NAPI(napi_create_bigint_uint64(env, reinterpret_cast<uintptr_t>(p), &out));
  return out;
}

napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return Throw(env, "close(fd)");
  return ResultOrErrno(env, close(fd));
}

// dup(fd) with O_CLOEXEC -> new fd or -errno.
napi_value Dup(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) return Throw(env, "dup(fd)");
  return ResultOrErrno(env, fcntl(fd, F_DUPFD_CLOEXEC, 0));
}

// ---- mmap -------------------------------------------------------------------

struct Mapping {
  void* addr;
  size_t len;
  bool unmapped;
};

void FinalizeMapping(napi_env, void*, void* hint) {
  auto* m = static_cast<Mapping*>(hint);
  if (!m->unmapped) munmap(m->addr, m->len);
  delete m;
}

// mmap(fd, length, prot, flags, offset) -> ArrayBuffer or -errno.
// The ArrayBuffer is external; munmap(buffer) detaches it before unmapping so JS
// can never touch unmapped memory. A mapping never released explicitly is
// unmapped when the ArrayBuffer is garbage-collected.
napi_value Mmap(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd, prot, flags;
  int64_t len, off;
  if (argc < 5 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || !GetI64(env, argv[1], &len) ||
      napi_get_value_int32(env, argv[2], &prot) != napi_ok ||
      napi_get_value_int32(env, argv[3], &flags) != napi_ok || !GetI64(env, argv[4], &off) || len <= 0)
    return Throw(env, "mmap(fd, length, prot, flags, offset)");
  void* p = mmap(nullptr, static_cast<size_t>(len), prot, flags, fd, off);
  if (p == MAP_FAILED) return Int(env, -errno);
  auto* m = new Mapping{p, static_cast<size_t>(len), false};
  napi_value ab;
  if (napi_create_external_arraybuffer(env, p, static_cast<size_t>(len), FinalizeMapping, m, &ab) != napi_ok) {
    munmap(p, static_cast<size_t>(len));
    delete m;
    return Throw(env, "mmap: cannot wrap mapping");
  }
  napi_wrap(env, ab, m, nullptr, nullptr, nullptr);
  return ab;
}

napi_value Munmap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  void* hint = nullptr;
  if (argc < 1 || napi_unwrap(env, argv[0], &hint) != napi_ok || hint == nullptr)
    return Throw(env, "munmap(buffer): not a buffer returned by mmap");
  auto* m = static_cast<Mapping*>(hint);
  if (m->unmapped) return Int(env, 0);
  napi_detach_arraybuffer(env, argv[0]);
  m->unmapped = true;
  return ResultOrErrno(env, munmap(m->addr, m->len));
}

napi_value PageSize(napi_env env, napi_callback_info) { return Int(env, sysconf(_SC_PAGESIZE)); }

// ---- readiness polling through libuv ------------------------------------------

struct Poller {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_ref self;
  bool closed;      // uv_close() requested
  bool uvClosed;    // libuv finished closing the handle
  bool finalized;   // the JS wrapper object was garbage-collected
};

// The Poller is freed only when both libuv is done with the handle and the JS
// wrapper is gone: pollStop() followed by GC of the wrapper must not touch
// freed memory.
void OnPollClosed(uv_handle_t* h) {
  auto* p = static_cast<Poller*>(h->data);
  napi_delete_reference(p->env, p->callback);
  p->uvClosed = true;
  if (p->finalized) delete p;
}

void OnPoll(uv_poll_t* h, int status, int events) {
  auto* p = static_cast<Poller*>(h->data);
  napi_handle_scope scope;
  napi_open_handle_scope(p->env, &scope);
  napi_value cb, global, argv[2];
  napi_get_reference_value(p->env, p->callback, &cb);
  napi_get_global(p->env, &global);
  argv[0] = Int(p->env, status);
  argv[1] = Int(p->env, events);
  napi_value result;
  napi_status s = napi_call_function(p->env, global, cb, 2, argv, &result);
  if (s == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(p->env, &exc);
    napi_fatal_exception(p->env, exc);
  }
  napi_close_handle_scope(p->env, scope);
}

void FinalizePollHandle(napi_env, void* data, void*) {
  auto* p = static_cast<Poller*>(data);
  p->finalized = true;
  if (!p->closed) {
    p->closed = true;
    uv_poll_stop(&p->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), OnPollClosed);
  } else if (p->uvClosed) {
    delete p;
  }
}

// pollStart(fd, events, callback(status, events)) -> handle object or -errno.
// events: 1 = readable (UV_READABLE), 2 = writable. The callback runs on the
// event loop each time the fd is ready; the fd itself is never read here.
napi_value PollStart(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd, events;
  napi_valuetype t;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &events) != napi_ok || napi_typeof(env, argv[2], &t) != napi_ok ||
      t != napi_function)
    return Throw(env, "pollStart(fd, events, callback)");
  uv_loop_t* loop;
  CHECK_NAPI(napi_get_uv_event_loop(env, &loop));
  auto* p = new Poller{};
  p->env = env;
  p->handle.data = p;
  int r = uv_poll_init(loop, &p->handle, fd);
  if (r != 0) {
    delete p;
    return Int(env, r);  // libuv errors are already -errno on Linux
  }
  napi_create_reference(env, argv[2], 1, &p->callback);
  r = uv_poll_start(&p->handle, events, OnPoll);
  napi_value obj;
  napi_create_object(env, &obj);
  napi_wrap(env, obj, p, FinalizePollHandle, nullptr, nullptr);
  if (r != 0) {
    // Close the handle now; the wrapper's finalizer frees the Poller later.
    p->closed = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), OnPollClosed);
    return Int(env, r);
  }
  return obj;
}

// pollStop(handle): stop watching and release the libuv handle (idempotent).
napi_value PollStop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  void* data = nullptr;
  if (argc < 1 || napi_unwrap(env, argv[0], &data) != napi_ok || data == nullptr)
    return Throw(env, "pollStop(handle)");
  auto* p = static_cast<Poller*>(data);
  if (!p->closed) {
    p->closed = true;
    uv_poll_stop(&p->handle);
    uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), OnPollClosed);
  }
  return Int(env, 0);
}

// ---- other system calls used by attach, readers and setup -------------------

// perfEventOpen(attr, pid, cpu, groupFd, flags) -> fd or -errno.
napi_value PerfEventOpen(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  uint8_t* attr;
  size_t len;
  int32_t pid, cpu, group;
  int64_t flags;
  if (argc < 5 || !GetBytes(env, argv[0], &attr, &len) || napi_get_value_int32(env, argv[1], &pid) != napi_ok ||
      napi_get_value_int32(env, argv[2], &cpu) != napi_ok || napi_get_value_int32(env, argv[3], &group) != napi_ok ||
      !GetI64(env, argv[4], &flags))
    return Throw(env, "perfEventOpen(attr, pid, cpu, groupFd, flags)");
  return ResultOrErrno(env, syscall(__NR_perf_event_open, attr, pid, cpu, group, static_cast<unsigned long>(flags)));
}

// ioctl(fd, request, arg) where arg is a number (passed by value) or a buffer
// (passed by address) -> result or -errno.
napi_value Ioctl(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd;
  int64_t req;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || !GetI64(env, argv[1], &req))
    return Throw(env, "ioctl(fd, request, arg)");
  uint8_t* p;
  size_t n;
  int64_t v;
  if (GetBytes(env, argv[2], &p, &n)) return ResultOrErrno(env, ioctl(fd, static_cast<unsigned long>(req), p));
  if (GetI64(env, argv[2], &v)) return ResultOrErrno(env, ioctl(fd, static_cast<unsigned long>(req), v));
  return Throw(env, "ioctl: arg must be a number or a buffer");
}

bool GetString(napi_env env, napi_value v, char* buf, size_t cap) {
  size_t n;
  if (IsNullish(env, v)) {
    buf[0] = 0;
    return true;
  }
  return napi_get_value_string_utf8(env, v, buf, cap, &n) == napi_ok && n < cap - 1;
}

// mount(source, target, fstype, flags, data) -> 0 or -errno.
napi_value Mount(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  char src[4096], target[4096], fstype[256], data[4096];
  int64_t flags;
  if (argc < 5 || !GetString(env, argv[0], src, sizeof src) || !GetString(env, argv[1], target, sizeof target) ||
      !GetString(env, argv[2], fstype, sizeof fstype) || !GetI64(env, argv[3], &flags) ||
      !GetString(env, argv[4], data, sizeof data))
    return Throw(env, "mount(source, target, fstype, flags, data)");
  return ResultOrErrno(env, mount(src, target, fstype, static_cast<unsigned long>(flags), data[0] ? data : nullptr));
}

// umount(target, flags) -> 0 or -errno.
napi_value Umount(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  char target[4096];
  int32_t flags;
  if (argc < 2 || !GetString(env, argv[0], target, sizeof target) || napi_get_value_int32(env, argv[1], &flags) != napi_ok)
    return Throw(env, "umount(target, flags)");
  return ResultOrErrno(env, umount2(target, flags));
}

// socket(domain, type, protocol) -> fd or -errno (always SOCK_CLOEXEC).
napi_value Socket(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t d, t, p;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &d) != napi_ok || napi_get_value_int32(env, argv[1], &t) != napi_ok ||
      napi_get_value_int32(env, argv[2], &p) != napi_ok)
    return Throw(env, "socket(domain, type, protocol)");
  return ResultOrErrno(env, socket(d, t | SOCK_CLOEXEC, p));
}

// setsockopt(fd, level, name, value: buffer) -> 0 or -errno.
napi_value SetSockOpt(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd, level, name;
  uint8_t* p;
  size_t n;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_int32(env, argv[1], &level) != napi_ok || napi_get_value_int32(env, argv[2], &name) != napi_ok ||
      !GetBytes(env, argv[3], &p, &n))
    return Throw(env, "setsockopt(fd, level, name, value)");
  return ResultOrErrno(env, setsockopt(fd, level, name, p, static_cast<socklen_t>(n)));
}

// read(fd, buffer) / write(fd, buffer) -> bytes or -errno (non-blocking fds only
// should be used from the event loop).
napi_value ReadFd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd;
  uint8_t* p;
  size_t n;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || !GetBytes(env, argv[1], &p, &n))
    return Throw(env, "read(fd, buffer)");
  return ResultOrErrno(env, read(fd, p, n));
}

napi_value WriteFd(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd;
  uint8_t* p;
  size_t n;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || !GetBytes(env, argv[1], &p, &n))
    return Throw(env, "write(fd, buffer)");
  return ResultOrErrno(env, write(fd, p, n));
}

// setns(fd, nstype) -> 0 or -errno. Affects the calling thread only.
napi_value Setns(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK_NAPI(napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr));
  int32_t fd, type;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &type) != napi_ok)
    return Throw(env, "setns(fd, nstype)");
  return ResultOrErrno(env, setns(fd, type));
}

napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"bpf", nullptr, Bpf, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"registerAttr", nullptr, RegisterAttr, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unregisterAttr", nullptr, UnregisterAttr, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"bpfSlot", nullptr, BpfSlot, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"addressOf", nullptr, AddressOf, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"dup", nullptr, Dup, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mmap", nullptr, Mmap, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"munmap", nullptr, Munmap, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pageSize", nullptr, PageSize, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pollStart", nullptr, PollStart, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"pollStop", nullptr, PollStop, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"perfEventOpen", nullptr, PerfEventOpen, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ioctl", nullptr, Ioctl, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"mount", nullptr, Mount, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"umount", nullptr, Umount, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"socket", nullptr, Socket, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setsockopt", nullptr, SetSockOpt, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"read", nullptr, ReadFd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"write", nullptr, WriteFd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setns", nullptr, Setns, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
