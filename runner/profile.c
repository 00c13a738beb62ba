/*
 * profile: the phase clock of a worker and the parent's table
 * (runner/profile.h).
 */
#include "runner/profile.h"

#include <string.h>

#include "model/versions.h"

static const struct {
    const char *name, *help;
} phases[PROF_N] = {
    [PROF_WAIT] = {"wait", "worker idle between jobs (the parent's turn)"},
    [PROF_CONTAINER] = {"container", "starting or replacing a server"},
    [PROF_DATABASES] = {"databases", "creating the job databases"},
    [PROF_PREAMBLE] = {"preamble", "the corpus's preamble"},
    [PROF_CONNECT] = {"connect", "the tracer's connections and prepared queries"},
    [PROF_LOAD] = {"load", "the chain from its files"},
    [PROF_SNAPSHOT] = {"snapshot", "full catalog snapshots"},
    [PROF_EXECUTE] = {"execute", "the statements and the lock read after them"},
    [PROF_LOCKS] = {"locks", "the traced backend's locks into a set"},
    [PROF_CATALOG] = {"catalog", "catalog rows, names and scans after a statement"},
    [PROF_BUILD] = {"build", "diffs into a trace"},
    [PROF_OBSERVED] = {"observed", "statements traced by observers (phase capture)"},
    [PROF_REPLAY] = {"replay", "the replay on the sibling database"},
    [PROF_PREDICT] = {"predict", "predictions and verdicts"},
    [PROF_SEND] = {"send", "records to the parent"},
    [PROF_OTHER] = {"other", "the rest of a job in the worker"},
    [PROF_SPOOL] = {"spool", "parent: spooling trace records"},
    [PROF_STORE] = {"store", "parent: writing jobs to SQLite"},
};

const char *prof_phase_name(ProfPhase p)
{
    return p < PROF_N ? phases[p].name : "?";
}

const char *prof_phase_help(ProfPhase p)
{
    return p < PROF_N ? phases[p].help : "?";
}

/* ---- the worker's clock -------------------------------------------------- */

#define PROF_DEPTH 16

static struct {
    double sums[PROF_N];
    double since; /* when the current phase began to be charged */
    ProfPhase base;
    ProfPhase stack[PROF_DEPTH];
    int depth; /* entries, also those a whole phase absorbed */
} clk;

static ProfPhase current(void)
{
    if (clk.depth == 0) return clk.base;
    return clk.stack[(clk.depth > PROF_DEPTH ? PROF_DEPTH : clk.depth) - 1];
}

/* Charges the time since the last change to the current phase. */
static void charge(void)
{
    double now = now_ms();
    clk.sums[current()] += now - clk.since;
    clk.since = now;
}

void prof_start(ProfPhase base)
{
    memset(&clk, 0, sizeof(clk));
    clk.base = base;
    clk.since = now_ms();
}

void prof_base(ProfPhase base)
{
    charge();
    clk.base = base;
}

void prof_enter(ProfPhase p)
{
    charge();
    ProfPhase cur = current();
    /* inside a phase taken whole, everything stays its */
    if (clk.depth > 0 && (cur == PROF_OBSERVED || cur == PROF_REPLAY)) p = cur;
    if (clk.depth < PROF_DEPTH) clk.stack[clk.depth] = p;
    clk.depth++;
}

void prof_leave(void)
{
    charge();
    if (clk.depth > 0) clk.depth--;
}

void prof_take(double out[PROF_N])
{
    charge();
    memcpy(out, clk.sums, sizeof(clk.sums));
    memset(clk.sums, 0, sizeof(clk.sums));
}

/* ---- the parent's sums ---------------------------------------------------- */

ProfSums *prof_sums_of(ProfSums *sums, size_t *n, size_t cap, int id)
{
    for (size_t i = 0; i < *n; i++)
        if (sums[i].id == id) return &sums[i];
    if (*n >= cap) return NULL;
    ProfSums *s = &sums[(*n)++];
    memset(s, 0, sizeof(*s));
    s->id = id;
    return s;
}

void prof_print(FILE *f, const ProfSums *sums, size_t n, double wall_ms, int slots)
{
    ProfSums all = {0};
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        all.jobs += sums[i].jobs;
        for (int p = 0; p < PROF_N; p++) {
            all.ms[p] += sums[i].ms[p];
            total += sums[i].ms[p];
        }
    }
    fprintf(f,
            "profile: %ld jobs, wall %.2f s, %d worker slots; %.2f s of worker and "
            "parent time\n",
            all.jobs, wall_ms / 1000.0, slots, total / 1000.0);
    fprintf(f, "%-10s %9s %6s %8s", "phase", "total s", "share", "ms/job");
    for (size_t i = 0; i < n; i++)
        fprintf(f, " %7s", VERSION_NAME(sums[i].id));
    fprintf(f, "  what\n");
    for (int p = 0; p < PROF_N; p++) {
        fprintf(f, "%-10s %9.2f %5.1f%% %8.2f", prof_phase_name(p), all.ms[p] / 1000.0,
                total > 0 ? 100.0 * all.ms[p] / total : 0.0,
                all.jobs ? all.ms[p] / (double)all.jobs : 0.0);
        for (size_t i = 0; i < n; i++)
            fprintf(f, " %7.2f", sums[i].jobs ? sums[i].ms[p] / (double)sums[i].jobs : 0.0);
        fprintf(f, "  %s\n", prof_phase_help(p));
    }
    fprintf(f, "%-10s %9.2f %5.1f%% %8.2f", "total", total / 1000.0, total > 0 ? 100.0 : 0.0,
            all.jobs ? total / (double)all.jobs : 0.0);
    for (size_t i = 0; i < n; i++) {
        double t = 0;
        for (int p = 0; p < PROF_N; p++)
            t += sums[i].ms[p];
        fprintf(f, " %7.2f", sums[i].jobs ? t / (double)sums[i].jobs : 0.0);
    }
    fprintf(f, "\n");
}
