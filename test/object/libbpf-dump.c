// Oracle for test/object/libbpf.test.ts: what libbpf makes of an object at open time
// (no load, no kernel). One line per map and program, tab-separated:
//   map  <name> <type> <key> <value> <max_entries> <flags> <numa> <map_extra> <inner type or -> <pinned 0/1>
//   prog <name> <section> <type> <expected_attach_type> <insn count> <prog flags>
//   datasec <name> <size> then per variable <var name>:<offset>:<size>:<linkage>
//     (the object's BTF after libbpf's open-time fix-ups, bpf_object__btf)
// Build: cc -O2 -o libbpf-dump libbpf-dump.c -lbpf
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <stdio.h>

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap) { return 0; }

int main(int argc, char **argv) {
	libbpf_set_print(quiet);
	for (int i = 1; i < argc; i++) {
		struct bpf_object *obj = bpf_object__open_file(argv[i], NULL);
		if (!obj) { printf("file\t%s\terror\n", argv[i]); continue; }
		printf("file\t%s\tok\n", argv[i]);
		struct bpf_map *map;
		bpf_object__for_each_map(map, obj) {
			struct bpf_map *inner = bpf_map__inner_map(map);
			printf("map\t%s\t%d\t%u\t%u\t%u\t%u\t%u\t%llu\t%d\t%d\n", bpf_map__name(map), bpf_map__type(map),
			       bpf_map__key_size(map), bpf_map__value_size(map), bpf_map__max_entries(map),
			       bpf_map__map_flags(map), bpf_map__numa_node(map), (unsigned long long)bpf_map__map_extra(map),
			       inner ? (int)bpf_map__type(inner) : -1, bpf_map__pin_path(map) != NULL);
		}
		struct bpf_program *prog;
		bpf_object__for_each_program(prog, obj) {
			printf("prog\t%s\t%s\t%d\t%d\t%zu\t%u\n", bpf_program__name(prog), bpf_program__section_name(prog),
			       bpf_program__type(prog), bpf_program__expected_attach_type(prog), bpf_program__insn_cnt(prog),
			       bpf_program__flags(prog));
		}
		const struct btf *btf = bpf_object__btf(obj);
		for (__u32 id = 1; btf && id < btf__type_cnt(btf); id++) {
			const struct btf_type *t = btf__type_by_id(btf, id);
			if (!btf_is_datasec(t)) continue;
			printf("datasec\t%s\t%u", btf__name_by_offset(btf, t->name_off), t->size);
			const struct btf_var_secinfo *vs = btf_var_secinfos(t);
			for (int j = 0; j < btf_vlen(t); j++, vs++) {
				const struct btf_type *v = btf__type_by_id(btf, vs->type);
				printf("\t%s:%u:%u:%d", btf__name_by_offset(btf, v->name_off), vs->offset, vs->size,
				       btf_is_var(v) ? (int)btf_var(v)->linkage : -1);
			}
			printf("\n");
		}
		bpf_object__close(obj);
	}
	return 0;
}
