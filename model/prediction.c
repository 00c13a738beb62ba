/*
 * prediction: the verdict names and an empty prediction.
 */
#include "model/prediction.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static const char *const verdict_names[VERDICTS] = {
    "confirmed", "mismatch", "trace-only", "unpredicted", "error",
};

const char *verdict_name(Verdict v)
{
    return v >= 0 && v < VERDICTS ? verdict_names[v] : NULL;
}

Verdict verdict_parse(const char *name)
{
    for (int i = 0; name && i < VERDICTS; i++)
        if (strcmp(name, verdict_names[i]) == 0) return (Verdict)i;
    return VERDICT_NONE;
}

void prediction_clear(Prediction *p)
{
    memset(p, 0, sizeof(*p));
    p->mode = -1;
    for (int i = 0; i < PREDICTION_NROLES; i++)
        p->others[i] = -1;
    p->verdict = VERDICT_NONE;
}

void prediction_free(Prediction *p)
{
    free(p->relations);
    prediction_clear(p);
}
