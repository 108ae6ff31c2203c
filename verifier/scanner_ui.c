/* scanner_ui.c: the verdict screens of hc-verify scan: json (one line per
 * verdict on standard output). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "scanner.h"

static void add_str(cJSON *o, const char *k, const char *v, bool ok)
{
	char safe[512];

	if (!ok) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	hc_display_safe(v, safe, sizeof(safe));
	cJSON_AddStringToObject(o, k, safe);
}

static void ui_json(const struct scanner *s, const struct verdict *v)
{
	cJSON *o = cJSON_CreateObject();
	bool ok = v->r.verified;
	char *t;

	if (!o)
		return;
	cJSON_AddNumberToObject(o, "at", (double)v->at);
	add_str(o, "checkpoint", s->checkpoint, s->checkpoint != NULL);
	cJSON_AddStringToObject(o, "verdict", v->r.err == HC_OK ? "pass" : "fail");
	cJSON_AddStringToObject(o, "reason", hc_reason(v->r.err));
	add_str(o, "detail", v->detail, v->r.err != HC_OK);
	add_str(o, "status", hc_status_name(v->r.c.st), ok);
	add_str(o, "iss", v->r.c.iss, ok);
	add_str(o, "issuer", v->r.issuer_name, ok);
	add_str(o, "region", v->r.region, ok);
	if (ok)
		cJSON_AddNumberToObject(o, "exp", (double)v->r.c.exp);
	else
		cJSON_AddNullToObject(o, "exp");
	add_str(o, "name", v->r.c.name, ok);
	add_str(o, "id", v->r.c.id, ok);
	if ((t = cJSON_PrintUnformatted(o)))
		printf("%s\n", t);
	(void)fflush(stdout);
	free(t);
	cJSON_Delete(o);
}

int scan_ui_start(struct scanner *s)
{
	(void)s;
	return 0;
}

void scan_ui_verdict(struct scanner *s, const struct verdict *v)
{
	ui_json(s, v);
}

void scan_ui_stop(struct scanner *s)
{
	(void)s;
}
