/** Reading what programs produce: ring buffers, perf buffers and the trace pipe. */
export { RingBuffer, type RingBufferOptions } from './ring-buffer.js';
export { PerfEventReader, type PerfEventReaderOptions, type PerfRecordOf } from './perf-event-reader.js';
export { tracePipe, TracePipe, parseTraceLine, type TraceLine } from './trace-pipe.js';
