/*
 * report: reading a stored run back and rendering it.
 */
#ifndef LM_REPORT_H
#define LM_REPORT_H

#include "common/util.h"
#include "report/runview.h"
#include "store/store.h"

/* The JSON report of run_id (the contract of DESIGN.md) into out. */
int report_json(Store *s, long long run_id, Buf *out, Err *err);
/* The same from a run already loaded. */
void report_json_view(const RunView *rv, Buf *out);

#endif
