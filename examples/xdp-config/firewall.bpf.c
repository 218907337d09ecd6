// SPDX-License-Identifier: GPL-2.0
// Configuration written by user space and obeyed by an XDP program: user
// space sets a blocked IPv4 protocol (e.g. 1 = ICMP) in an array map; the
// program drops packets of that protocol and counts passed/dropped packets.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct config {
	__u32 blocked_protocol; /* 0 = block nothing */
	__u32 enabled;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct config);
	__uint(max_entries, 1);
} config SEC(".maps");

enum verdict_slot { SLOT_PASSED = 0, SLOT_DROPPED = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 2);
} counters SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &slot);
	if (c)
		*c += 1;
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 zero = 0;
	struct config *cfg;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		goto pass;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		goto pass;
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (cfg && cfg->enabled && cfg->blocked_protocol == ip->protocol) {
		count(SLOT_DROPPED);
		return XDP_DROP;
	}
pass:
	count(SLOT_PASSED);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
