/*
 * test_profile: runner/profile.c, the phase clock of a worker: every moment
 * charged to exactly one phase, exclusive time under nesting, phases taken
 * whole absorbing what runs inside them, sums handed over and restarted; and
 * the parent's table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner/profile.h"
#include "t.h"

static void nap(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void)
{
    double got[PROF_N];

    /* exclusive time: the snapshot inside execute is the snapshot's */
    prof_start(PROF_OTHER);
    nap(20);
    prof_enter(PROF_EXECUTE);
    nap(20);
    prof_enter(PROF_SNAPSHOT);
    nap(40);
    prof_leave();
    nap(20);
    prof_leave();
    prof_take(got);
    CHECK(got[PROF_OTHER] >= 19 && got[PROF_OTHER] < 35, "other %.1f ms", got[PROF_OTHER]);
    CHECK(got[PROF_EXECUTE] >= 38 && got[PROF_EXECUTE] < 60, "execute %.1f ms (2 x 20)",
          got[PROF_EXECUTE]);
    CHECK(got[PROF_SNAPSHOT] >= 39 && got[PROF_SNAPSHOT] < 60, "snapshot %.1f ms",
          got[PROF_SNAPSHOT]);
    double sum = 0;
    for (int p = 0; p < PROF_N; p++)
        sum += got[p];
    CHECK(sum >= 99 && sum < 140, "every moment charged once: %.1f ms for ~100", sum);

    /* a phase taken whole: the replay's own execute stays the replay's */
    prof_enter(PROF_REPLAY);
    prof_enter(PROF_EXECUTE);
    nap(20);
    prof_leave();
    nap(10);
    prof_leave();
    prof_take(got);
    CHECK(got[PROF_REPLAY] >= 29, "replay %.1f ms, its statements included", got[PROF_REPLAY]);
    CHECK(got[PROF_EXECUTE] < 1, "nothing of the replay counted as execute: %.1f ms",
          got[PROF_EXECUTE]);

    /* the base phase: waiting between jobs */
    prof_base(PROF_WAIT);
    nap(15);
    prof_base(PROF_OTHER);
    prof_take(got);
    CHECK(got[PROF_WAIT] >= 14, "wait %.1f ms", got[PROF_WAIT]);
    prof_take(got);
    CHECK(got[PROF_WAIT] == 0, "taken sums start again from zero");

    /* every phase has a name and a meaning, all distinct */
    for (int p = 0; p < PROF_N; p++) {
        CHECK(prof_phase_name(p)[0] && strcmp(prof_phase_name(p), "?") != 0, "name of %d", p);
        CHECK(prof_phase_help(p)[0], "meaning of %s", prof_phase_name(p));
        for (int q = 0; q < p; q++)
            CHECK(strcmp(prof_phase_name(p), prof_phase_name(q)) != 0, "%s twice",
                  prof_phase_name(p));
    }

    /* the parent's sums and table */
    ProfSums sums[2];
    size_t n = 0;
    ProfSums *a = prof_sums_of(sums, &n, 2, 17);
    ProfSums *b = prof_sums_of(sums, &n, 2, 10);
    CHECK(a && b && n == 2 && prof_sums_of(sums, &n, 2, 17) == a, "one column per version");
    CHECK(prof_sums_of(sums, &n, 2, 12) == NULL && n == 2, "no column beyond the cap");
    a->jobs = 2;
    a->ms[PROF_EXECUTE] = 300;
    a->ms[PROF_CONTAINER] = 100;
    b->jobs = 1;
    b->ms[PROF_DATABASES] = 600;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    prof_print(f, sums, n, 1000, 2);
    fclose(f);
    CHECK(strstr(buf, "3 jobs, wall 1.00 s") != NULL, "header: %s", buf);
    CHECK(strstr(buf, "execute         0.30  30.0%   100.00  150.00    0.00") != NULL,
          "execute row: share of all time, ms per job overall and per version:\n%s", buf);
    CHECK(strstr(buf, "databases       0.60  60.0%   200.00    0.00  600.00") != NULL,
          "databases row:\n%s", buf);
    CHECK(strstr(buf, "total           1.00 100.0%   333.33  200.00  600.00") != NULL,
          "total row:\n%s", buf);
    free(buf);
    return t_done("test_profile");
}
