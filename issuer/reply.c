/* reply.c: building the service's answers, errors above all. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "reply.h"

static const struct {
	unsigned status;
	const char *code;
} codes[] = {
	{400, "bad-request"},	     {401, "unauthorized"},
	{403, "forbidden"},	     {404, "not-found"},
	{405, "method-not-allowed"}, {409, "conflict"},
	{413, "too-large"},	     {415, "unsupported-media-type"},
	{500, "internal"},	     {503, "unavailable"},
};

const char *reply_code(unsigned status)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (codes[i].status == status)
			return codes[i].code;
	return "internal";
}

void reply_clear(struct reply *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

void reply_json(struct reply *r, unsigned status, char *body)
{
	free(r->body);
	r->status = status;
	r->ctype = "application/json";
	r->body = body;
	r->len = body ? strlen(body) : 0;
}

void reply_error(struct reply *r, unsigned status, const char *fmt, ...)
{
	static const char fallback[] = "{\"error\":\"internal\",\"detail\":\"out of memory\"}";
	char detail[512], safe[512];
	cJSON *o = cJSON_CreateObject();
	char *body = NULL;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap); /* a long detail may be cut */
	va_end(ap);
	hc_display_safe(detail, safe, sizeof(safe));
	if (o && cJSON_AddStringToObject(o, "error", reply_code(status)) &&
	    cJSON_AddStringToObject(o, "detail", safe))
		body = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!body && (body = malloc(sizeof(fallback))) != NULL) {
		memcpy(body, fallback, sizeof(fallback));
		status = 500;
	}
	reply_json(r, status, body);
}
