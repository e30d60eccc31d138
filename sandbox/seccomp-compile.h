/* sandbox/seccomp-compile.h — the `usher seccomp ...` subcommand (init/subcommand.c's row):
 * `usher seccomp compile PROFILE.json -o PROFILE.bpf [sandbox options]`. */
#ifndef USHER_SECCOMP_COMPILE_H
#define USHER_SECCOMP_COMPILE_H

/* argv[0] is "seccomp". Returns 0, 2 for bad usage, or 125 after printing. */
int sandbox_seccomp_main(int argc, char **argv);

#endif
