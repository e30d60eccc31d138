/* init/helpers.h — the login helpers ([Login NAME], creds/login.c) run in the one loop: at
 * start-up before services and the main command, and again on reload, without blocking. */
#ifndef USHER_HELPERS_H
#define USHER_HELPERS_H

#include <stdbool.h>

/* Before the loop, when creds_login_count() > 0: the one proc their attempts run as (its two
 * relay streams reserved). 0, or 125 after printing. */
int helpers_prepare(void);
/* Starts a run of every helper against creds' env of the moment; done(rc) is called once
 * they are over (rc 0, or usher's exit code after one line was printed), maybe from inside
 * this call. False if there are no helpers (done is not called). */
bool helpers_run(void (*done)(int rc));
bool helpers_running(void);
/* SIGTERM/SIGINT while they run: the running helper's group is killed, the run ends with
 * "interrupted by SIG...; not starting" and 128+sig. */
void helpers_interrupt(int sig);

#endif
