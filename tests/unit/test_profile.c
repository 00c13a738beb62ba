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

/* Sleeps ms; returns how long it really took (a loaded machine oversleeps). */
static double nap(int ms)
{
    struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};
    double t0 = now_ms();
    nanosleep(&ts, NULL);
    return now_ms() - t0;
}

/* got within 2 ms above want: the clock's own bookkeeping between naps */
static bool about(double got, double want)
{
    return got >= want - 0.01 && got < want + 2;
}

int main(void)
{
    double got[PROF_N];

    /* exclusive time: the snapshot inside execute is the snapshot's */
    double t0 = now_ms();
    prof_start(PROF_OTHER);
    double other = nap(20);
    prof_enter(PROF_EXECUTE);
    double exec = nap(20);
    prof_enter(PROF_SNAPSHOT);
    double snap = nap(40);
    prof_leave();
    exec += nap(20);
    prof_leave();
    prof_take(got);
    double wall = now_ms() - t0;
    CHECK(about(got[PROF_OTHER], other), "other %.1f ms, slept %.1f", got[PROF_OTHER], other);
    CHECK(about(got[PROF_EXECUTE], exec), "execute %.1f ms, slept %.1f (2 naps)", got[PROF_EXECUTE],
          exec);
    CHECK(about(got[PROF_SNAPSHOT], snap), "snapshot %.1f ms, slept %.1f", got[PROF_SNAPSHOT],
          snap);
    double sum = 0;
    for (int p = 0; p < PROF_N; p++)
        sum += got[p];
    CHECK(sum <= wall + 0.01 && sum >= wall - 2, "every moment charged once: %.1f ms of %.1f", sum,
          wall);

    /* a phase taken whole: the replay's own execute stays the replay's */
    prof_enter(PROF_REPLAY);
    prof_enter(PROF_EXECUTE);
    double replay = nap(20);
    prof_leave();
    replay += nap(10);
    prof_leave();
    prof_take(got);
    CHECK(got[PROF_REPLAY] >= replay - 0.01, "replay %.1f ms, its statements included (%.1f)",
          got[PROF_REPLAY], replay);
    CHECK(got[PROF_EXECUTE] < 1, "nothing of the replay counted as execute: %.1f ms",
          got[PROF_EXECUTE]);

    /* the base phase: waiting between jobs */
    prof_base(PROF_WAIT);
    double wait = nap(15);
    prof_base(PROF_OTHER);
    prof_take(got);
    CHECK(got[PROF_WAIT] >= wait - 0.01, "wait %.1f ms, slept %.1f", got[PROF_WAIT], wait);
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
