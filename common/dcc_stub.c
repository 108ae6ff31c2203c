/* dcc_stub.c: hc_dcc_verify until the DCC verifier (common/dcc.c) is
 * merged; the merge deletes this file. */
#include "hc_foreign.h"

hc_err hc_dcc_verify(const struct hc_dcc_cert *certs, size_t ncerts, const char *text, size_t n,
		     const struct hc_verify_opts *o, struct hc_foreign_result *r)
{
	(void)certs;
	(void)ncerts;
	(void)text;
	(void)n;
	(void)o;
	r->fmt = HC_FMT_DCC;
	hc_set_detail("DCC support not built");
	return HC_ERR_UNAVAILABLE;
}
