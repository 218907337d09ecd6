// SPDX-License-Identifier: GPL-2.0
// Packets redirected with bpf_redirect_map: every packet arriving on the
// interface this program is attached to is sent out of the interface stored
// in slot 0 of a devmap, and counted.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__type(key, __u32);
	__type(value, __u32); /* ifindex */
	__uint(max_entries, 4);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} redirected SEC(".maps");

SEC("xdp")
int redirect_all(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&redirected, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
	/* XDP_PASS when slot 0 is empty (the flags' low bits pick the fallback). */
	return bpf_redirect_map(&tx_port, 0, XDP_PASS);
}

/* Attached to the receiving end so redirected frames can be seen there. */
SEC("xdp")
int count_rx(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
