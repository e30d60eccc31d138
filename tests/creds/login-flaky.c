/* tests/creds/login-flaky.c — a login helper that fails its first N runs, then succeeds;
 * the run count lives in a state file, so retries by usher are counted for real. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: login-flaky STATEFILE FAILURES\n");
		return 2;
	}
	int runs = 0;
	FILE *state = fopen(argv[1], "r");
	if (state) {
		if (fscanf(state, "%d", &runs) != 1)
			runs = 0;
		fclose(state);
	}
	runs++;
	state = fopen(argv[1], "w");
	if (!state || fprintf(state, "%d\n", runs) < 0 || fclose(state) != 0) {
		perror(argv[1]);
		return 2;
	}
	if (runs <= atoi(argv[2])) {
		fprintf(stderr, "run %d: failing on purpose\n", runs);
		return 3;
	}
	printf("run %d: logged in\n", runs);
	return 0;
}
