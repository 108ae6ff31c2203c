/* claims.c: the claims of a token (DESIGN 3), parsed strictly and built.
 * The claims are parsed before their signature is checked: a failure's
 * detail names the rule broken, never a byte of the claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_json.h"
#include "hc_token.h"

#define TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

static const char *const st_names[] = {"green", "yellow", "red"};

const char *hc_status_name(enum hc_status st)
{
	return (unsigned)st < 3 ? st_names[st] : "?";
}

hc_err hc_status_parse(const char *s, enum hc_status *st)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(s, st_names[i]) == 0) {
			*st = (enum hc_status)i;
			return HC_OK;
		}
	return HC_ERR_CLAIMS;
}

static bool one_of(const char *s, const char *a, const char *b, const char *c)
{
	return strcmp(s, a) == 0 || strcmp(s, b) == 0 || (c && strcmp(s, c) == 0);
}

static hc_err parse_hc(const cJSON *hc, struct hc_claims *c)
{
	static const char *const hc_m[] = {"v", "st", "pol", "why", "sub", "nat", "vac", "trv", NULL};
	static const char *const sub_m[] = {"name", "id", NULL};
	static const char *const nat_m[] = {"at", "res", NULL};
	static const char *const vac_m[] = {"doses", "at", NULL};
	static const char *const trv_m[] = {"risk", NULL};
	const cJSON *why, *sub, *nat, *vac, *trv, *w;
	char st[8];
	hc_err err;

	if ((err = hc_json_only_in(hc, hc_m, "hc")) != HC_OK ||
	    (err = hc_json_int(hc, "v", true, 0, 1000, &c->v, NULL)) != HC_OK ||
	    (err = hc_json_str(hc, "st", true, st, sizeof(st), NULL)) != HC_OK ||
	    (err = hc_json_str(hc, "pol", true, c->pol, sizeof(c->pol), NULL)) != HC_OK ||
	    (err = hc_json_arr(hc, "why", true, &why)) != HC_OK ||
	    (err = hc_json_obj(hc, "sub", true, &sub)) != HC_OK ||
	    (err = hc_json_obj(hc, "nat", false, &nat)) != HC_OK ||
	    (err = hc_json_obj(hc, "vac", false, &vac)) != HC_OK ||
	    (err = hc_json_obj(hc, "trv", false, &trv)) != HC_OK)
		return err;
	if (c->v != 1) {
		hc_set_detail("hc.v is not 1");
		return HC_ERR_CLAIMS;
	}
	if (hc_status_parse(st, &c->st) != HC_OK) {
		hc_set_detail("hc.st not one of green, yellow, red");
		return HC_ERR_CLAIMS;
	}
	cJSON_ArrayForEach(w, why)
	{
		size_t len;

		if (!cJSON_IsString(w)) {
			hc_set_detail("hc.why holds a value that is not a string");
			return HC_ERR_JSON_TYPE;
		}
		if (c->nwhy == HC_MAX_WHY || (len = strlen(w->valuestring)) >= HC_WHY_LEN) {
			hc_set_detail("hc.why longer than %d entries of %d bytes", HC_MAX_WHY,
				      HC_WHY_LEN - 1);
			return HC_ERR_TOO_LARGE;
		}
		memcpy(c->why[c->nwhy++], w->valuestring, len + 1);
	}
	if ((err = hc_json_only_in(sub, sub_m, "hc.sub")) != HC_OK ||
	    (err = hc_json_str(sub, "name", true, c->name, sizeof(c->name), NULL)) != HC_OK ||
	    (err = hc_json_str(sub, "id", true, c->id, sizeof(c->id), NULL)) != HC_OK)
		return err;
	if ((c->has_nat = nat != NULL)) {
		if ((err = hc_json_only_in(nat, nat_m, "hc.nat")) != HC_OK ||
		    (err = hc_json_int(nat, "at", true, 0, TIME_MAX, &c->nat_at, NULL)) != HC_OK ||
		    (err = hc_json_str(nat, "res", true, c->nat_res, sizeof(c->nat_res), NULL)) !=
			    HC_OK)
			return err;
		if (!one_of(c->nat_res, "neg", "pos", NULL)) {
			hc_set_detail("hc.nat.res not one of neg, pos");
			return HC_ERR_CLAIMS;
		}
	}
	if ((c->has_vac = vac != NULL)) {
		if ((err = hc_json_only_in(vac, vac_m, "hc.vac")) != HC_OK ||
		    (err = hc_json_int(vac, "doses", true, 0, 20, &c->vac_doses, NULL)) != HC_OK ||
		    (err = hc_json_int(vac, "at", true, 0, TIME_MAX, &c->vac_at, NULL)) != HC_OK)
			return err;
	}
	if ((c->has_trv = trv != NULL)) {
		if ((err = hc_json_only_in(trv, trv_m, "hc.trv")) != HC_OK ||
		    (err = hc_json_str(trv, "risk", true, c->trv_risk, sizeof(c->trv_risk), NULL)) !=
			    HC_OK)
			return err;
		if (!one_of(c->trv_risk, "low", "medium", "high")) {
			hc_set_detail("hc.trv.risk not one of low, medium, high");
			return HC_ERR_CLAIMS;
		}
	}
	return HC_OK;
}

hc_err hc_claims_parse(const char *json, size_t n, struct hc_claims *c)
{
	static const char *const top[] = {"iss", "iat", "nbf", "exp", "jti", "hc", NULL};
	cJSON *root = NULL;
	const cJSON *hc;
	uint8_t jti[16];
	size_t jlen, il;
	hc_err err;

	memset(c, 0, sizeof(*c));
	if ((err = hc_json_parse_untrusted(json, n, &root)) != HC_OK)
		return err;
	if ((err = hc_json_only_in(root, top, "the claims")) != HC_OK ||
	    (err = hc_json_str(root, "iss", true, c->iss, sizeof(c->iss), NULL)) != HC_OK ||
	    (err = hc_json_int(root, "iat", true, 0, TIME_MAX, &c->iat, NULL)) != HC_OK ||
	    (err = hc_json_int(root, "nbf", false, 0, TIME_MAX, &c->nbf, &c->has_nbf)) != HC_OK ||
	    (err = hc_json_int(root, "exp", true, 0, TIME_MAX, &c->exp, NULL)) != HC_OK ||
	    (err = hc_json_str(root, "jti", true, c->jti, sizeof(c->jti), NULL)) != HC_OK ||
	    (err = hc_json_obj(root, "hc", true, &hc)) != HC_OK || (err = parse_hc(hc, c)) != HC_OK)
		goto out;
	err = HC_ERR_CLAIMS;
	il = strlen(c->iss);
	if (il < 9 || strncmp(c->iss, "https://", 8) != 0 || c->iss[il - 1] == '/') {
		hc_set_detail("iss is not an https URL without a trailing slash");
		goto out;
	}
	if (hc_b64u_decode(c->jti, strlen(c->jti), jti, sizeof(jti), &jlen) != HC_OK ||
	    jlen != sizeof(jti)) {
		hc_set_detail("jti is not 16 bytes of base64url");
		goto out;
	}
	if (c->exp < c->iat || (c->has_nbf && c->nbf > c->exp)) {
		hc_set_detail("exp is before iat or nbf");
		goto out;
	}
	if (!c->has_nbf)
		c->nbf = c->iat;
	err = HC_OK;
out:
	cJSON_Delete(root);
	return err;
}

/* The claims are written directly, not through a cJSON tree: issuing does
 * this for every code. Strings go through cJSON's escaping; numbers are
 * integers, printed as cJSON prints them below 10^15. Members in a fixed
 * order (the order of DESIGN 4). */
struct out {
	char buf[8192]; /* every string at its longest, escaped six-fold, fits */
	size_t len;
	bool ok;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (!o->ok || n >= sizeof(o->buf) - o->len) {
		o->ok = false;
		return;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

static void put_str(struct out *o, const char *key, const char *v)
{
	put(o, key);
	if (o->ok && !hc_json_put_str(o->buf, sizeof(o->buf), &o->len, v))
		o->ok = false;
}

static void put_int(struct out *o, const char *key, int64_t v)
{
	char num[32];

	put(o, key);
	(void)snprintf(num, sizeof(num), "%lld", (long long)v); /* 20 digits at most */
	put(o, num);
}

hc_err hc_claims_json(const struct hc_claims *c, char **out)
{
	struct out *o;
	hc_err err = HC_ERR_NOMEM;

	*out = NULL;
	if (!(o = malloc(sizeof(*o))))
		return HC_ERR_NOMEM;
	o->len = 0;
	o->ok = true;
	o->buf[0] = '\0';
	put_str(o, "{\"iss\":", c->iss);
	put_int(o, ",\"iat\":", c->iat);
	/* nbf is left out when it equals iat: every byte counts in the QR. */
	if (c->has_nbf && c->nbf != c->iat)
		put_int(o, ",\"nbf\":", c->nbf);
	put_int(o, ",\"exp\":", c->exp);
	put_str(o, ",\"jti\":", c->jti);
	put_int(o, ",\"hc\":{\"v\":", 1);
	put_str(o, ",\"st\":", hc_status_name(c->st));
	put_str(o, ",\"pol\":", c->pol);
	put(o, ",\"why\":[");
	for (size_t i = 0; i < c->nwhy && i < HC_MAX_WHY; i++)
		put_str(o, i ? "," : "", c->why[i]);
	put_str(o, "],\"sub\":{\"name\":", c->name);
	put_str(o, ",\"id\":", c->id);
	put(o, "}");
	if (c->has_nat) {
		put_int(o, ",\"nat\":{\"at\":", c->nat_at);
		put_str(o, ",\"res\":", c->nat_res);
		put(o, "}");
	}
	if (c->has_vac) {
		put_int(o, ",\"vac\":{\"doses\":", c->vac_doses);
		put_int(o, ",\"at\":", c->vac_at);
		put(o, "}");
	}
	if (c->has_trv) {
		put_str(o, ",\"trv\":{\"risk\":", c->trv_risk);
		put(o, "}");
	}
	put(o, "}}");
	if (!o->ok)
		err = HC_ERR_TOO_LARGE;
	else if ((*out = strdup(o->buf)))
		err = HC_OK;
	free(o);
	return err;
}
