// The floor for bench/maps: raw bpf(2) syscalls on a map the runner created and
// filled, passed to us as an inherited file descriptor so C, the library and
// the npm `bpf` package all work on the very same kernel object in the same state.
//
// The map is a BPF_MAP_TYPE_HASH, u32 key -> u64 value, holding keys 0..n-1
// with value key * 3 (little-endian u64). Every mode prints one JSON line.
//
//   bench single <fd> <n>           one timed pass each of LOOKUP, UPDATE (BPF_ANY,
//                                   present key) and DELETE (present key) over keys
//                                   0..n-1, then an untimed refill; plus a pass of
//                                   bpf() with an invalid command (syscall floor)
//   bench dump-batch <fd> <batch>   full dump with BPF_MAP_LOOKUP_BATCH
//   bench dump-iter <fd>            full dump with GET_NEXT_KEY + LOOKUP_ELEM
//
// Compiled by bench/maps/run.ts with `cc -O2`.
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr, unsigned int size) {
  return syscall(__NR_bpf, cmd, attr, size);
}

// Two clocks per measurement: wall time, and this process's CPU time (user +
// system), which is what the runner compares on a shared, loaded machine where
// wall time also counts the time other processes held the CPU.
// sys is the system (kernel) part of cpu, from getrusage.
typedef struct { uint64_t wall, cpu, sys; } stamp;

static uint64_t clock_ns(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static stamp now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  stamp s = {clock_ns(CLOCK_MONOTONIC), clock_ns(CLOCK_PROCESS_CPUTIME_ID),
             (uint64_t)ru.ru_stime.tv_sec * 1000000000ull + (uint64_t)ru.ru_stime.tv_usec * 1000ull};
  return s;
}

// "name":{"wall":ns/op,"cpu":ns/op,"sys":ns/op}
static void emit(const char *name, stamp a, stamp b, double ops, const char *sep) {
  printf("\"%s\":{\"wall\":%.2f,\"cpu\":%.2f,\"sys\":%.2f}%s", name, (double)(b.wall - a.wall) / ops,
         (double)(b.cpu - a.cpu) / ops, (double)(b.sys - a.sys) / ops, sep);
}

static void die(const char *what, uint32_t key) {
  fprintf(stderr, "bench.c: %s failed at key %u: %s\n", what, key, strerror(errno));
  exit(1);
}

// Each command gets its own attr holding only the fields it uses, as the kernel's
// CHECK_ATTR (kernel/bpf/syscall.c) requires zeros past a command's last field.
static int single(int fd, uint32_t n) {
  uint32_t key = 0;
  uint64_t value = 0;
  union bpf_attr lookup, update, del, invalid;
  memset(&lookup, 0, sizeof(lookup));
  lookup.map_fd = fd;
  lookup.key = (uintptr_t)&key;
  lookup.value = (uintptr_t)&value;
  update = lookup;
  update.flags = BPF_ANY;
  memset(&del, 0, sizeof(del));
  del.map_fd = fd;
  del.key = (uintptr_t)&key;
  memset(&invalid, 0, sizeof(invalid));
  const unsigned int esz = 32;  // offsetofend(union bpf_attr, flags) for element commands

  // Warm-up: one lookup pass (touches the map's buckets and our code paths).
  for (key = 0; key < n; key++)
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &lookup, esz) != 0) die("warm-up lookup", key);

  uint64_t checksum = 0;
  stamp t0 = now();
  for (key = 0; key < n; key++) {
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &lookup, esz) != 0) die("lookup", key);
    checksum += value;
  }
  stamp t1 = now();
  for (key = 0; key < n; key++) {
    value = (uint64_t)key * 3;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &update, esz) != 0) die("update", key);
  }
  stamp t2 = now();
  for (key = 0; key < n; key++)
    if (sys_bpf(BPF_MAP_DELETE_ELEM, &del, esz) != 0) die("delete", key);
  stamp t3 = now();
  for (key = 0; key < n; key++) {  // refill, untimed
    value = (uint64_t)key * 3;
    if (sys_bpf(BPF_MAP_UPDATE_ELEM, &update, esz) != 0) die("refill", key);
  }
  // bpf() with a command the kernel does not know: syscall entry, attr copy and
  // the EINVAL return, nothing else — what any bpf() call costs at minimum.
  stamp t4 = now();
  for (key = 0; key < n; key++)
    if (sys_bpf(9999, &invalid, esz) != -1 || errno != EINVAL) die("invalid command", key);
  stamp t5 = now();
  printf("{");
  emit("lookup", t0, t1, n, ",");
  emit("update", t1, t2, n, ",");
  emit("delete", t2, t3, n, ",");
  emit("invalid", t4, t5, n, ",");
  printf("\"checksum\":\"%llu\"}\n", (unsigned long long)checksum);
  return 0;
}

// Buffers for the whole map are allocated per dump (as a program that does not
// know the count in advance would); the kernel fills them batch by batch.
static int dump_batch(int fd, uint32_t max_entries, uint32_t batch) {
  stamp t0 = now();
  uint32_t *keys = malloc((size_t)(max_entries + batch) * sizeof(uint32_t));
  uint64_t *values = malloc((size_t)(max_entries + batch) * sizeof(uint64_t));
  if (!keys || !values) die("malloc", 0);
  uint32_t in_batch = 0, out_batch = 0, total = 0;
  int first = 1;
  for (;;) {
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.batch.in_batch = first ? 0 : (uintptr_t)&in_batch;
    a.batch.out_batch = (uintptr_t)&out_batch;
    a.batch.keys = (uintptr_t)(keys + total);
    a.batch.values = (uintptr_t)(values + total);
    a.batch.count = batch;
    a.batch.map_fd = fd;
    long r = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, sizeof(a.batch));
    if (r != 0 && errno != ENOENT) die("lookup_batch", total);
    total += a.batch.count;
    if (r != 0) break;  // ENOENT: the walk is complete
    if (total > max_entries) die("lookup_batch (map grew)", total);
    in_batch = out_batch;
    first = 0;
  }
  stamp t1 = now();
  uint64_t ksum = 0, vsum = 0;
  for (uint32_t i = 0; i < total; i++) { ksum += keys[i]; vsum += values[i]; }
  free(keys);
  free(values);
  printf("{");
  emit("time", t0, t1, 1, ",");
  printf("\"count\":%u,\"keySum\":\"%llu\",\"valueSum\":\"%llu\"}\n", total, (unsigned long long)ksum,
         (unsigned long long)vsum);
  return 0;
}

static int dump_iter(int fd, uint32_t max_entries) {
  stamp t0 = now();
  uint32_t *keys = malloc((size_t)max_entries * sizeof(uint32_t));
  uint64_t *values = malloc((size_t)max_entries * sizeof(uint64_t));
  if (!keys || !values) die("malloc", 0);
  uint32_t cur = 0, next = 0, total = 0;
  union bpf_attr nk, lk;
  memset(&nk, 0, sizeof(nk));
  nk.map_fd = fd;
  nk.key = 0;  // NULL key: the first key
  nk.next_key = (uintptr_t)&next;
  memset(&lk, 0, sizeof(lk));
  lk.map_fd = fd;
  lk.key = (uintptr_t)&next;
  for (;;) {
    if (sys_bpf(BPF_MAP_GET_NEXT_KEY, &nk, 32) != 0) {
      if (errno == ENOENT) break;
      die("get_next_key", cur);
    }
    if (total >= max_entries) die("get_next_key (map grew)", total);
    lk.value = (uintptr_t)&values[total];
    if (sys_bpf(BPF_MAP_LOOKUP_ELEM, &lk, 32) == 0) keys[total++] = next;
    else if (errno != ENOENT) die("lookup", next);  // ENOENT: deleted in between, skip
    cur = next;
    nk.key = (uintptr_t)&cur;
  }
  stamp t1 = now();
  uint64_t ksum = 0, vsum = 0;
  for (uint32_t i = 0; i < total; i++) { ksum += keys[i]; vsum += values[i]; }
  free(keys);
  free(values);
  printf("{");
  emit("time", t0, t1, 1, ",");
  printf("\"count\":%u,\"keySum\":\"%llu\",\"valueSum\":\"%llu\"}\n", total, (unsigned long long)ksum,
         (unsigned long long)vsum);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: bench single <fd> <n> | dump-batch <fd> <max> <batch> | dump-iter <fd> <max>\n");
    return 2;
  }
  int fd = atoi(argv[2]);
  if (!strcmp(argv[1], "single") && argc == 4) return single(fd, (uint32_t)strtoul(argv[3], 0, 10));
  if (!strcmp(argv[1], "dump-batch") && argc == 5)
    return dump_batch(fd, (uint32_t)strtoul(argv[3], 0, 10), (uint32_t)strtoul(argv[4], 0, 10));
  if (!strcmp(argv[1], "dump-iter") && argc == 4) return dump_iter(fd, (uint32_t)strtoul(argv[3], 0, 10));
  fprintf(stderr, "bench.c: bad arguments\n");
  return 2;
}
