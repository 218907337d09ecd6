/** Attaching programs: links that detach on close. */
export { Link, openLink, listLinks, linkIds, type LinkInfo, type LinkParts } from './link.js';
export { attachXdp, attachTcx, type XdpMode, type XdpOptions, type TcxDirection, type TcxOptions } from './xdp.js';
export { attachTracepoint, tracepointId, attachToPerfEvent, type PerfAttachOptions } from './perf-event.js';
export { attachKprobe, attachKretprobe, kprobesUnavailableReason, kernelConfigOption } from './kprobe.js';
export { attachRawTracepoint, attachTracing } from './tracing.js';
export { attachCgroup } from './cgroup.js';
export { attachSocketFilter } from './socket-filter.js';
export { ifindexOf } from './interface.js';
export { LinkType, linkTypeName, XdpFlags, AttachFlags } from '../sys/link-cmds.js';
export { progQuery, QUERY_EFFECTIVE } from '../sys/prog-cmds.js';
export { attachTc, type TcOptions } from './tc.js';
export { attachPerfEvent, type PerfSamplingOptions } from './perf-sampling.js';
export { attachUprobe, attachUretprobe, type UprobeOptions } from './uprobe.js';
export { symbolFileOffset } from './elf-symbols.js';
