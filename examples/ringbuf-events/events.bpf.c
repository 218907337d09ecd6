// SPDX-License-Identifier: GPL-2.0
// Events sent through a ring buffer: one record per execve() with the
// caller's pid, uid and command name.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct exec_event {
	__u32 pid;
	__u32 uid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Makes `struct exec_event` part of the object's BTF so readers can decode records. */
struct exec_event *unused_exec_event __attribute__((unused));

SEC("tracepoint/syscalls/sys_enter_execve")
int on_execve(void *ctx)
{
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = bpf_get_current_uid_gid() & 0xffffffff;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
