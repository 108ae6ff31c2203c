/* service_code.c: a code's answer: the code object as JSON (the status,
 * reasons, masked identity, times, the JWS and its QR text, and the QR as
 * SVG when asked), or the QR alone as PNG or SVG; and a held code's
 * answer, from the cache (held.c) or the person's row, while it still
 * stands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "hc_image.h"
#include "hc_json.h"
#include "hc_policy.h"
#include "hc_sign.h"
#include "held.h"
#include "service.h"

#define HELD_MARGIN 60      /* a held code is handed out while exp > now + this */
#define PNG_SCALE 6
#define QR_MARGIN 4

/* Appends the literal name (a member name and its punctuation) and s as
 * a JSON string, escaped by cJSON. */
static bool put_str(char *b, size_t cap, size_t *len, const char *name, const char *s)
{
	return hc_append(b, cap, len, name) && hc_json_put_str(b, cap, len, s);
}

/* The literal name and the QR text s between quotes, as put_str would
 * write it without its scan for characters to escape: the text is
 * HC_QR_PREFIX and digits (hc_qr_encode), none of which JSON escapes,
 * and some 1,100 bytes long. */
static bool put_qr(char *b, size_t cap, size_t *len, const char *name, const char *s)
{
	return hc_append(b, cap, len, name) && hc_json_put_plain(b, cap, len, s, strlen(s));
}

static bool put_int(char *b, size_t cap, size_t *len, const char *name, int64_t v)
{
	char num[24];

	return hc_append(b, cap, len, name) && hc_append(b, cap, len, hc_decimal(v, num));
}

/* The code object as JSON text, written directly (building it as cJSON
 * items and printing them cost more than the rest of the answer):
 * {"status","why","policy","jti","iat","exp","person":{"name","id"},
 * "qr","jws"[,"svg"]}. NULL when out of memory. */
static char *code_json(const struct code_view *v, const char *qr, const char *svg)
{
	const char *const strs[] = {v->pol, v->jti, v->name, v->id, qr, v->jws, svg ? svg : ""};
	size_t cap = 128, len = 0;
	char *b;
	bool ok;

	/* a string escaped takes at most 6 bytes a byte (\u00XX), plus its
	 * quotes and member name */
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		cap += 6 * strlen(strs[i]) + 16;
	for (size_t i = 0; i < v->nwhy; i++)
		cap += 6 * strnlen(v->why[i], HC_WHY_LEN) + 8;
	if (!(b = malloc(cap)))
		return NULL;
	ok = put_str(b, cap, &len, "{\"status\":", hc_status_name(v->st)) &&
	     hc_append(b, cap, &len, ",\"why\":[");
	for (size_t i = 0; ok && i < v->nwhy; i++)
		ok = put_str(b, cap, &len, i ? "," : "", v->why[i]);
	ok = ok && put_str(b, cap, &len, "],\"policy\":", v->pol) &&
	     put_str(b, cap, &len, ",\"jti\":", v->jti) && put_int(b, cap, &len, ",\"iat\":", v->iat) &&
	     put_int(b, cap, &len, ",\"exp\":", v->exp) &&
	     put_str(b, cap, &len, ",\"person\":{\"name\":", v->name) &&
	     put_str(b, cap, &len, ",\"id\":", v->id) && put_qr(b, cap, &len, "},\"qr\":", qr) &&
	     put_str(b, cap, &len, ",\"jws\":", v->jws) &&
	     (!svg || put_str(b, cap, &len, ",\"svg\":", svg)) && hc_append(b, cap, &len, "}");
	if (!ok) {
		free(b);
		return NULL;
	}
	return b;
}

void code_reply(const struct code_view *v, enum image img, bool svg, struct reply *r)
{
	char buf[HC_MAX_QR_TEXT + 8];
	const char *text = v->qr;
	struct hc_qrimg *q = NULL;
	char *body = NULL, *svgtext = NULL;
	uint8_t *png = NULL;
	size_t n = 0;
	hc_err err = HC_OK;

	if ((!text && (err = hc_qr_encode(HC_QR_PREFIX, v->jws, strlen(v->jws), buf,
					  sizeof(buf))) != HC_OK) ||
	    ((img != IMG_NONE || svg) && (err = hc_qrimg_make(text ? text : buf, &q)) != HC_OK)) {
		reply_error(r, 500, "QR: %s", hc_strerror(err));
		goto out;
	}
	if (!text)
		text = buf;
	if (img == IMG_PNG) {
		if ((err = hc_qrimg_png(q, PNG_SCALE, QR_MARGIN, &png, &n)) != HC_OK) {
			reply_error(r, 500, "PNG: %s", hc_strerror(err));
			goto out;
		}
		reply_clear(r);
		r->status = 200;
		r->ctype = "image/png";
		r->body = (char *)png;
		r->len = n;
		goto out;
	}
	if (img == IMG_SVG || svg) {
		if ((err = hc_qrimg_svg(q, QR_MARGIN, &svgtext, &n)) != HC_OK) {
			reply_error(r, 500, "SVG: %s", hc_strerror(err));
			goto out;
		}
		if (img == IMG_SVG) {
			reply_clear(r);
			r->status = 200;
			r->ctype = "image/svg+xml";
			r->body = svgtext;
			r->len = n;
			svgtext = NULL;
			goto out;
		}
	}
	if (!(body = code_json(v, text, svgtext))) {
		reply_error(r, 500, "out of memory");
		goto out;
	}
	reply_json(r, 200, body);
out:
	free(svgtext);
	hc_qrimg_free(q);
}

/* The cached answer of key's held code (held.c) while it is still true
 * at now: not near its expiry, and the policy over the person's inputs
 * (as parsed when the entry was made: the same text, name and id parse
 * to the same record), with the risk-area list in force, gives its
 * status. False: ask the registry (which answers any error the same
 * way). */
bool svc_held_cached(struct svc *s, const char *key, struct reply *r)
{
	struct held *h = held_get(s->held, key);
	struct hc_record *rec = NULL;
	struct hc_claims c;
	int64_t now = hc_now();
	char *body = NULL;
	bool ok = false;

	if (!h)
		return false;
	memset(&c, 0, sizeof(c));
	if (h->exp > now + HELD_MARGIN && hc_record_unpack(h->rec, h->reclen, &rec) == HC_OK &&
	    svc_policy_apply(s, rec, now, &c) == HC_OK && c.st == h->st &&
	    (body = malloc(h->bodylen + 1)) != NULL) {
		memcpy(body, h->body, h->bodylen + 1);
		reply_json(r, 200, body);
		ok = true;
	}
	hc_record_free(rec);
	OPENSSL_cleanse(&c, sizeof(c));
	free(h);
	return ok;
}

/* The answer of p's held code (p read after ticket t; t NULL: the answer
 * is not kept in the cache) when it still stands at now, c being what
 * the policy gives over p's inputs: not revoked, not near its expiry,
 * the same status. True with the answer (or its error) in r. */
bool svc_held_reply(struct svc *s, const char *key, const struct reg_person *p,
		    const struct hc_record *rec, const struct hc_claims *c, int64_t now,
		    enum image img, bool svg, const struct held_ticket *t, struct reply *r)
{
	if (!p->has_held || p->held.revoked_at != 0 || p->held.exp <= now + HELD_MARGIN ||
	    p->held.st != c->st || !p->held.jws)
		return false;
	{
		const struct code_view v = {
			.st = p->held.st, .why = (const char(*)[HC_WHY_LEN])p->held.why,
			.nwhy = p->held.nwhy, .pol = p->held.policy, .jti = p->held.jti,
			.name = p->name, .id = p->id, .jws = p->held.jws,
			.iat = p->held.iat, .exp = p->held.exp};

		code_reply(&v, img, svg, r);
	}
	if (t && r->status == 200) {
		size_t n = hc_record_packed_size(rec);
		void *packed = malloc(n);
		struct held h = {.st = p->held.st, .exp = p->held.exp,
				 .body = r->body, .bodylen = r->len,
				 .rec = packed, .reclen = n};

		if (packed) {
			hc_record_pack(rec, packed);
			memcpy(h.name, p->name, sizeof(h.name));
			memcpy(h.id, p->id, sizeof(h.id));
			held_put(s->held, key, *t, &h);
			OPENSSL_clear_free(packed, n);
		}
	}
	return true;
}

/* A cache miss's plain JSON answer of key's held code straight from the
 * registry, without a job (some 6 KB made and wiped: an eighth of such
 * an answer's instructions), as job_tries would make it: the same reads
 * and checks in the same order. False (nothing in r): anything else (no
 * such person, no name on file, a new code due, an error), which the job
 * then finds and answers as before. */
bool svc_held_read(struct svc *s, const char *key, struct reply *r)
{
	struct held_ticket t = held_ticket(s->held, key);
	struct reg_person p;
	struct hc_record *rec = NULL;
	struct hc_claims c;
	int64_t now = hc_now();
	bool ok = false;

	memset(&c, 0, sizeof(c));
	if (reg_person_get(s->reg, key, &p) != HC_OK)
		return false;
	if (p.name[0] && svc_record_of_inputs(p.inputs, p.name, p.id, &rec) == HC_OK &&
	    svc_policy_apply(s, rec, now, &c) == HC_OK)
		ok = svc_held_reply(s, key, &p, rec, &c, now, IMG_NONE, false, &t, r);
	hc_record_free(rec);
	reg_person_clear(&p);
	OPENSSL_cleanse(&p, sizeof(p));
	OPENSSL_cleanse(&c, sizeof(c));
	return ok;
}
