/*
 * shard: deterministic job shards and the corpus identity (see shard.h).
 */
#include "corpus/shard.h"

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
    return err_set(err, EXIT_USAGE, "invalid --shard \"%s\": K/N with 1 <= K <= N <= %d, e.g. 2/4",
                   s, SHARD_MAX);
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

/* ---- identity ----------------------------------------------------------- */

char *shard_corpus_id(const Corpus *c)
{
    Hash128 h = hash128_init();
    char hex[33];
    for (size_t ch = 0; ch < c->nchains; ch++) {
        const Chain *chain = &c->chains[ch];
        hash128_field(&h, 'C', chain->name);
        for (size_t m = 0; m < chain->nmigs; m++) {
            const Migration *mig = &chain->migs[m];
            hash128_field(&h, 'M', mig->path);
            if (mig->error) hash128_field(&h, 'E', mig->error);
            hash128_hex(mig->digest, hex);
            hash128_field(&h, 'D', hex);
        }
    }
    hash128_hex(h, hex);
    return xstrdup(hex);
}
