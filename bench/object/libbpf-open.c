// Reference for bench/object/object-bench.ts: libbpf's bpf_object__open_mem + close on
// the same bytes, timed in-process. Prints "<file> <ns per open>" per input.
// Build: cc -O2 -o libbpf-open libbpf-open.c -lbpf
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap) { return 0; }

static double now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
	int iterations = atoi(argv[1]);
	libbpf_set_print(quiet);
	for (int i = 2; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) { perror(argv[i]); return 1; }
		fseek(f, 0, SEEK_END);
		long size = ftell(f);
		fseek(f, 0, SEEK_SET);
		void *buf = malloc(size);
		if (fread(buf, 1, size, f) != (size_t)size) { perror("read"); return 1; }
		fclose(f);
		LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "bench");
		for (int w = 0; w < iterations / 10 + 1; w++) bpf_object__close(bpf_object__open_mem(buf, size, &opts));
		double start = now_ns();
		for (int n = 0; n < iterations; n++) {
			struct bpf_object *obj = bpf_object__open_mem(buf, size, &opts);
			if (!obj) { fprintf(stderr, "%s: open failed\n", argv[i]); return 1; }
			bpf_object__close(obj);
		}
		printf("%s %.0f\n", argv[i], (now_ns() - start) / iterations);
		free(buf);
	}
	return 0;
}
