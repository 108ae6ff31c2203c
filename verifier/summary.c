/* summary.c: hc-verify batch's summary report (the counters are in counts.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_int.h"
#include "hc_json.h"

/* Adds n to obj[name], creating it. */
static void bump(cJSON *obj, const char *name, uint64_t n)
{
	cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (e)
		cJSON_SetNumberValue(e, e->valuedouble + (double)n);
	else
		cJSON_AddNumberToObject(obj, name, (double)n);
}

int batch_summary(const struct hc_trust *t, struct counts *c, size_t n, uint64_t hits,
		  double secs, const char *report, const struct batch_part *mpi)
{
	size_t ni = hc_trust_issuer_count(t), len = 4 + HC_ERR__COUNT + 3 + ni;
	uint64_t *v = calloc(len, sizeof(*v));
	cJSON *o = NULL, *byr, *bys, *byi, *byg, *byt, *byrs;
	char *txt = NULL;
	int rc = EXIT_USAGE;

	if (!v)
		return rc;
	/* One flat vector: records, pass, fail, hits, by error, by status,
	 * by issuer (so that MPI can sum it in one call). */
	for (size_t k = 0; k < n; k++) {
		v[0] += c[k].records;
		v[1] += c[k].pass;
		v[2] += c[k].fail;
		for (size_t e = 0; e < HC_ERR__COUNT; e++)
			v[4 + e] += c[k].by_err[e];
		for (size_t s = 0; s < 3; s++)
			v[4 + HC_ERR__COUNT + s] += c[k].status[s];
		for (size_t i = 0; i < ni; i++)
			v[4 + HC_ERR__COUNT + 3 + i] += c[k].issuer[i];
	}
	v[3] = hits;
	if (mpi && batch_mpi_reduce(v, len, &secs) != 0)
		goto out;
	if (mpi && mpi->rank != 0) {
		rc = 0;
		goto out;
	}
	fprintf(stderr, "%s: %llu records, %llu pass, %llu fail, %.0f records/s (%.2f s), %llu "
		"cache hits\n",
		verifier_prog, (unsigned long long)v[0], (unsigned long long)v[1],
		(unsigned long long)v[2], secs > 0 ? (double)v[0] / secs : 0.0, secs,
		(unsigned long long)v[3]);
	if (!report) {
		rc = 0;
		goto out;
	}
	if (!(o = cJSON_CreateObject()))
		goto out;
	cJSON_AddNumberToObject(o, "records", (double)v[0]);
	cJSON_AddNumberToObject(o, "pass", (double)v[1]);
	cJSON_AddNumberToObject(o, "fail", (double)v[2]);
	byr = cJSON_AddObjectToObject(o, "by_reason");
	bys = cJSON_AddObjectToObject(o, "by_status");
	byi = cJSON_AddObjectToObject(o, "by_issuer");
	byg = cJSON_AddObjectToObject(o, "by_region");
	if (!byr || !bys || !byi || !byg)
		goto out;
	for (size_t e = 0; e < HC_ERR__COUNT; e++)
		if (v[4 + e])
			bump(byr, hc_reason((hc_err)e), v[4 + e]);
	for (size_t s = 0; s < 3; s++)
		if (v[4 + HC_ERR__COUNT + s])
			bump(bys, hc_status_name((enum hc_status)s), v[4 + HC_ERR__COUNT + s]);
	for (size_t i = 0; i < ni; i++)
		if (v[4 + HC_ERR__COUNT + 3 + i]) {
			char iss[512], region[64];

			hc_display_safe(hc_trust_issuer_iss(t, i), iss, sizeof(iss));
			hc_display_safe(hc_trust_issuer_region(t, i), region, sizeof(region));
			bump(byi, iss, v[4 + HC_ERR__COUNT + 3 + i]);
			bump(byg, region, v[4 + HC_ERR__COUNT + 3 + i]);
		}
	/* The trust data the verdicts were given under. */
	if (!(byt = cJSON_AddObjectToObject(o, "trust")) ||
	    !cJSON_AddNumberToObject(byt, "seq", (double)hc_trust_seq(t)) ||
	    !(byrs = cJSON_AddObjectToObject(byt, "revocations")))
		goto out;
	for (size_t i = 0; i < ni; i++) {
		struct hc_issuer_info ii;
		char iss[512];

		hc_trust_issuer_info(t, i, &ii);
		hc_display_safe(ii.iss, iss, sizeof(iss));
		bump(byrs, iss, (uint64_t)ii.rev_seq);
	}
	cJSON_AddNumberToObject(o, "cache_hits", (double)v[3]);
	cJSON_AddNumberToObject(o, "seconds", secs);
	cJSON_AddNumberToObject(o, "records_per_second", secs > 0 ? (double)v[0] / secs : 0.0);
	if (!(txt = cJSON_Print(o)))
		goto out;
	{
		size_t tl = strlen(txt);
		hc_err err;

		txt[tl] = '\n'; /* cJSON leaves room for the NUL only; rewrite it */
		err = hc_write_file_atomic(report, txt, tl + 1, 0644);
		txt[tl] = '\0';
		if (err != HC_OK) {
			verifier_err(report, err);
			goto out;
		}
	}
	rc = 0;
out:
	free(txt);
	cJSON_Delete(o);
	free(v);
	return rc;
}
