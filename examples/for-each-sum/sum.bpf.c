// SPDX-License-Identifier: GPL-2.0
// bpf_for_each_map_elem summing a map inside the kernel: user space fills
// `numbers`, runs the program with BPF_PROG_TEST_RUN, and reads the sum and
// element count the callback accumulated into global variables.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1024);
} numbers SEC(".maps");

__u64 total = 0;
__u32 visited = 0;

struct sum_ctx {
	__u64 sum;
	__u32 count;
};

static long add_elem(struct bpf_map *map, __u32 *key, __u64 *value, struct sum_ctx *ctx)
{
	ctx->sum += *value;
	ctx->count++;
	return 0; /* continue */
}

SEC("xdp")
int sum_numbers(struct xdp_md *xdp)
{
	struct sum_ctx ctx = {};

	bpf_for_each_map_elem(&numbers, add_elem, &ctx, 0);
	total = ctx.sum;
	visited = ctx.count;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
