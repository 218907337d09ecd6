// Experiment (docs/performance.md, Maps): does user-space memory traffic between bpf()
// calls make the kernel part of a hash lookup slower? Touches `argv[1]` bytes (one byte
// per 64-byte line, strided over 64 MiB) between lookups and reports kernel/user time.
//   cc -O2 -o /tmp/cache-pollution bench/maps/experiments/cache-pollution.c
//   for t in 0 4096 32768; do taskset -c 1 /tmp/cache-pollution $t; done
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
static uint64_t sys_ns(void){struct rusage r;getrusage(RUSAGE_SELF,&r);return r.ru_stime.tv_sec*1000000000ull+r.ru_stime.tv_usec*1000ull;}
static uint64_t usr_ns(void){struct rusage r;getrusage(RUSAGE_SELF,&r);return r.ru_utime.tv_sec*1000000000ull+r.ru_utime.tv_usec*1000ull;}
int main(int argc,char**argv){
  size_t touch = argc>1 ? strtoul(argv[1],0,10) : 0;  // bytes of memory touched between syscalls
  volatile uint8_t *mem = malloc(64<<20); memset((void*)mem,1,64<<20);
  union bpf_attr c; memset(&c,0,sizeof c); c.map_type=BPF_MAP_TYPE_HASH; c.key_size=4; c.value_size=8; c.max_entries=100000;
  int fd=syscall(__NR_bpf,BPF_MAP_CREATE,&c,sizeof c);
  uint32_t key; uint64_t val=1; union bpf_attr u; memset(&u,0,sizeof u); u.map_fd=fd; u.key=(uintptr_t)&key; u.value=(uintptr_t)&val;
  for(key=0;key<100000;key++) syscall(__NR_bpf,BPF_MAP_UPDATE_ELEM,&u,32);
  size_t pos=0; uint64_t s=0;
  for(int r=0;r<3;r++){ uint64_t s0=sys_ns(),u0=usr_ns();
    for(key=0;key<100000;key++){ syscall(__NR_bpf,BPF_MAP_LOOKUP_ELEM,&u,32); for(size_t i=0;i<touch;i+=64){ s+=mem[pos]; pos=(pos+4160)%(64<<20);} }
    printf("touch %zu B: kernel %.0f user %.0f ns/lookup\n",touch,(sys_ns()-s0)/1e5,(usr_ns()-u0)/1e5);}
  return (int)(s&1);
}
