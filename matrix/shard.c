/*
 * shard: deterministic job shards and the corpus identity (see shard.h).
 */
#include "matrix/shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int shard_parse(const char *spec, Shard *out, Err *err)
{
    const char *s = spec ? spec : "";
    char *end;
    errno = 0;
    long k = strtol(s, &end, 10);
    if (errno || end == s || *end != '/' || s[0] == '-' || s[0] == '+') goto bad;
    const char *ns = end + 1;
    long n = strtol(ns, &end, 10);
    if (errno || end == ns || *end || ns[0] == '-' || ns[0] == '+') goto bad;
    if (n < 1 || n > SHARD_MAX || k < 1 || k > n) goto bad;
    out->k = (int)k;
    out->n = (int)n;
    return 0;
bad:
    return err_set(err, 2, "invalid --shard \"%s\": K/N with 1 <= K <= N <= %d, e.g. 2/4", s,
                   SHARD_MAX);
}

typedef struct Item {
    size_t cost;
    size_t i;
} Item;

static int item_cmp(const void *x, const void *y)
{
    const Item *a = x, *b = y;
    if (a->cost != b->cost) return a->cost < b->cost ? 1 : -1; /* costly first */
    return (a->i > b->i) - (a->i < b->i);
}

void shard_assign(const size_t *cost, size_t njobs, int n, int *out)
{
    if (n < 1) n = 1;
    Item *items = xmalloc((njobs ? njobs : 1) * sizeof(*items));
    for (size_t i = 0; i < njobs; i++)
        items[i] = (Item){.cost = cost[i], .i = i};
    qsort(items, njobs, sizeof(*items), item_cmp);
    /* n is small (at most SHARD_MAX): a linear scan for the least loaded */
    unsigned long long *load = xcalloc((size_t)n, sizeof(*load));
    for (size_t j = 0; j < njobs; j++) {
        int best = 0;
        for (int s = 1; s < n; s++)
            if (load[s] < load[best]) best = s;
        load[best] += items[j].cost;
        out[items[j].i] = best;
    }
    free(load);
    free(items);
}

int *shard_of_jobs(const Corpus *c, const VersionSet *v, int n)
{
    size_t total = c->nchains * (size_t)v->n;
    int *out = xmalloc((total ? total : 1) * sizeof(int));
    size_t *cost = xmalloc((total ? total : 1) * sizeof(size_t));
    size_t *where = xmalloc((total ? total : 1) * sizeof(size_t));
    size_t njobs = 0;
    for (size_t ch = 0; ch < c->nchains; ch++)
        for (int i = 0; i < v->n; i++) {
            size_t slot = ch * (size_t)v->n + (size_t)i;
            out[slot] = -1;
            if (c->chains[ch].nstmts == 0) continue;
            cost[njobs] = c->chains[ch].nstmts;
            where[njobs++] = slot;
        }
    int *assigned = xmalloc((njobs ? njobs : 1) * sizeof(int));
    shard_assign(cost, njobs, n, assigned);
    for (size_t j = 0; j < njobs; j++)
        out[where[j]] = assigned[j];
    free(assigned);
    free(where);
    free(cost);
    return out;
}

/* ---- identity: FNV-1a, 128 bits ------------------------------------------- */

typedef unsigned __int128 u128;

static void fnv(u128 *h, const void *p, size_t n)
{
    const u128 prime = ((u128)1 << 88) + 0x13B;
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= prime;
    }
}

/* A tagged, NUL-terminated field: "tag" then the string then a NUL (NULL: a
 * second NUL), so that no two different corpora give the same byte stream. */
static void field(u128 *h, char tag, const char *s)
{
    fnv(h, &tag, 1);
    if (s)
        fnv(h, s, strlen(s) + 1);
    else
        fnv(h, "\0", 2);
}

char *shard_corpus_id(const Corpus *c)
{
    u128 h = ((u128)0x6c62272e07bb0142ULL << 64) | 0x62b821756295c58dULL;
    for (size_t ch = 0; ch < c->nchains; ch++) {
        const Chain *chain = &c->chains[ch];
        field(&h, 'C', chain->name);
        for (size_t m = 0; m < chain->nmigs; m++) {
            const Migration *mig = &chain->migs[m];
            field(&h, 'M', mig->path);
            if (mig->error) field(&h, 'E', mig->error);
            for (size_t s = 0; s < mig->nstmts; s++)
                field(&h, 'S', mig->stmts[s].sql);
        }
    }
    return xasprintf("%016llx%016llx", (unsigned long long)(h >> 64), (unsigned long long)h);
}
