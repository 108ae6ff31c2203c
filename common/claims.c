/* claims.c: the claims of a token (DESIGN 3), parsed strictly and built. */
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

	if ((err = hc_json_only(hc, hc_m)) != HC_OK ||
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
		hc_set_detail("hc.v %lld is not version 1", (long long)c->v);
		return HC_ERR_CLAIMS;
	}
	if (hc_status_parse(st, &c->st) != HC_OK) {
		hc_set_detail("hc.st \"%s\"", st);
		return HC_ERR_CLAIMS;
	}
	cJSON_ArrayForEach(w, why)
	{
		size_t len;

		if (!cJSON_IsString(w))
			return HC_ERR_JSON_TYPE;
		if (c->nwhy == HC_MAX_WHY || (len = strlen(w->valuestring)) >= HC_WHY_LEN)
			return HC_ERR_TOO_LARGE;
		memcpy(c->why[c->nwhy++], w->valuestring, len + 1);
	}
	if ((err = hc_json_only(sub, sub_m)) != HC_OK ||
	    (err = hc_json_str(sub, "name", true, c->name, sizeof(c->name), NULL)) != HC_OK ||
	    (err = hc_json_str(sub, "id", true, c->id, sizeof(c->id), NULL)) != HC_OK)
		return err;
	if ((c->has_nat = nat != NULL)) {
		if ((err = hc_json_only(nat, nat_m)) != HC_OK ||
		    (err = hc_json_int(nat, "at", true, 0, TIME_MAX, &c->nat_at, NULL)) != HC_OK ||
		    (err = hc_json_str(nat, "res", true, c->nat_res, sizeof(c->nat_res), NULL)) !=
			    HC_OK)
			return err;
		if (!one_of(c->nat_res, "neg", "pos", NULL))
			return HC_ERR_CLAIMS;
	}
	if ((c->has_vac = vac != NULL)) {
		if ((err = hc_json_only(vac, vac_m)) != HC_OK ||
		    (err = hc_json_int(vac, "doses", true, 0, 20, &c->vac_doses, NULL)) != HC_OK ||
		    (err = hc_json_int(vac, "at", true, 0, TIME_MAX, &c->vac_at, NULL)) != HC_OK)
			return err;
	}
	if ((c->has_trv = trv != NULL)) {
		if ((err = hc_json_only(trv, trv_m)) != HC_OK ||
		    (err = hc_json_str(trv, "risk", true, c->trv_risk, sizeof(c->trv_risk), NULL)) !=
			    HC_OK)
			return err;
		if (!one_of(c->trv_risk, "low", "medium", "high"))
			return HC_ERR_CLAIMS;
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
	if ((err = hc_json_parse(json, n, &root)) != HC_OK)
		return err;
	if ((err = hc_json_only(root, top)) != HC_OK ||
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

static bool add_int(cJSON *o, const char *k, int64_t v)
{
	return cJSON_AddNumberToObject(o, k, (double)v) != NULL;
}

hc_err hc_claims_json(const struct hc_claims *c, char **out)
{
	cJSON *root = cJSON_CreateObject(), *hc, *why, *sub, *o;
	hc_err err = HC_ERR_NOMEM;
	bool ok;

	*out = NULL;
	if (!root)
		return HC_ERR_NOMEM;
	/* nbf is left out when it equals iat: every byte counts in the QR. */
	ok = cJSON_AddStringToObject(root, "iss", c->iss) && add_int(root, "iat", c->iat) &&
	     (!c->has_nbf || c->nbf == c->iat || add_int(root, "nbf", c->nbf)) &&
	     add_int(root, "exp", c->exp) &&
	     cJSON_AddStringToObject(root, "jti", c->jti) &&
	     (hc = cJSON_AddObjectToObject(root, "hc")) && add_int(hc, "v", 1) &&
	     cJSON_AddStringToObject(hc, "st", hc_status_name(c->st)) &&
	     cJSON_AddStringToObject(hc, "pol", c->pol) &&
	     (why = cJSON_AddArrayToObject(hc, "why")) &&
	     (sub = cJSON_AddObjectToObject(hc, "sub")) &&
	     cJSON_AddStringToObject(sub, "name", c->name) &&
	     cJSON_AddStringToObject(sub, "id", c->id);
	for (size_t i = 0; ok && i < c->nwhy && i < HC_MAX_WHY; i++) {
		cJSON *s = cJSON_CreateString(c->why[i]);
		ok = s && cJSON_AddItemToArray(why, s);
	}
	if (ok && c->has_nat)
		ok = (o = cJSON_AddObjectToObject(hc, "nat")) && add_int(o, "at", c->nat_at) &&
		     cJSON_AddStringToObject(o, "res", c->nat_res);
	if (ok && c->has_vac)
		ok = (o = cJSON_AddObjectToObject(hc, "vac")) &&
		     add_int(o, "doses", c->vac_doses) && add_int(o, "at", c->vac_at);
	if (ok && c->has_trv)
		ok = (o = cJSON_AddObjectToObject(hc, "trv")) &&
		     cJSON_AddStringToObject(o, "risk", c->trv_risk);
	if (ok)
		err = hc_json_print(root, out);
	cJSON_Delete(root);
	return err;
}
