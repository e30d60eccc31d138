/* sandbox/seccomp-compile.h — the `usher seccomp ...` subcommand (init/subcommand.c's row):
 * `usher seccomp compile PROFILE.json -o PROFILE.bpf [sandbox options]`. */
#ifndef USHER_SECCOMP_COMPILE_H
#define USHER_SECCOMP_COMPILE_H

struct sandbox_plan;

/* argv[0] is "seccomp". Returns 0, 2 for bad usage, or 125 after printing. */
int sandbox_seccomp_main(int argc, char **argv);

/* In sandbox.c: p's user and capabilities decided as sandbox_prepare() decides them, then
 * json_path compiled for them and p's --seccomp-arches into out_path. 0, or 125 printed. */
int sandbox_compile_seccomp(struct sandbox_plan *p, const char *json_path, const char *out_path);

#endif
