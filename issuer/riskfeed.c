/* riskfeed.c: the national risk-area list the service holds. Today none
 * (a stay in the policy's window is refused with 503); the feed that
 * fetches risk-areas.jws fills this in. */
#include "hc_policy.h"
#include "service.h"

struct hc_risk *svc_risk_get(struct svc *s)
{
	(void)s;
	return NULL;
}

void svc_risk_put(struct svc *s, struct hc_risk *r)
{
	(void)s;
	(void)r;
}
