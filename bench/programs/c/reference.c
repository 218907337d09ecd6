// Reference side of bench/programs: libbpf's ring buffer consumer and raw
// BPF_PROG_TEST_RUN calls, timed in-process with CLOCK_MONOTONIC.
//   reference ringbuf PIN_PATH          -> "<records> <ns>"  (one ring_buffer__consume)
//   reference testrun PIN_PATH N        -> "<ns per call>"   (N test runs, 64-byte packet)
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static volatile unsigned long long sink;
static int on_record(void *ctx, void *data, size_t len) {
  (void)ctx;
  // Read the record's payload as a consumer would.
  unsigned long long v = 0;
  memcpy(&v, data, len < sizeof v ? len : sizeof v);
  sink += v;
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && strcmp(argv[1], "ringbuf") == 0) {
    int fd = bpf_obj_get(argv[2]);
    if (fd < 0) { perror("bpf_obj_get"); return 1; }
    struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);
    if (!rb) { perror("ring_buffer__new"); return 1; }
    long long t0 = now_ns();
    int n = ring_buffer__consume(rb);
    long long t1 = now_ns();
    printf("%d %lld\n", n, t1 - t0);
    ring_buffer__free(rb);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "testrun") == 0) {
    int fd = bpf_obj_get(argv[2]);
    if (fd < 0) { perror("bpf_obj_get"); return 1; }
    int n = atoi(argv[3]);
    unsigned char in[64] = {0}, out[64 + 512];
    LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = sizeof in, .data_out = out, .data_size_out = sizeof out, .repeat = 1);
    long long t0 = now_ns();
    for (int i = 0; i < n; i++) {
      opts.data_size_out = sizeof out;
      if (bpf_prog_test_run_opts(fd, &opts)) { perror("test_run"); return 1; }
    }
    long long t1 = now_ns();
    printf("%.1f\n", (double)(t1 - t0) / n);
    return 0;
  }
  fprintf(stderr, "usage: reference ringbuf PIN | testrun PIN N\n");
  return 2;
}
