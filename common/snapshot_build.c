/* snapshot_build.c: the snapshot payload (DESIGN 6a) over a published trust
 * tree. Signing side only: hc-verify never calls it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <errno.h>
#include <unistd.h>

#include "hc_foreign.h"
#include "hc_json.h"
#include "hc_sign.h"
#include "hc_trust.h"

/* Adds rel of tree to files: its seq (from its JWS payload, unverified:
 * these are the operator's own files) and the SHA-256 of its bytes. */
static hc_err add_file(const char *tree, const char *rel, size_t cap, cJSON *files)
{
	char path[4096], sha[65];
	uint8_t *buf = NULL, d[32];
	size_t len, n;
	struct hc_jws j;
	cJSON *p = NULL, *e;
	int64_t seq;
	hc_err err;

	memset(&j, 0, sizeof(j));
	if (hc_path(path, sizeof(path), "%s/%s", tree, rel) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if ((err = hc_read_file(path, cap, &buf, &len)) != HC_OK)
		return err;
	for (n = len; n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'); n--)
		;
	if ((err = hc_jws_parse((const char *)buf, n, cap, false, cap, &j)) != HC_OK ||
	    (err = hc_json_parse((const char *)j.payload, j.payload_len, &p)) != HC_OK ||
	    (err = hc_json_int(p, "seq", true, 1, 9007199254740991LL, &seq, NULL)) != HC_OK) {
		char dd[160];

		(void)snprintf(dd, sizeof(dd), "%s", hc_detail());
		hc_set_detail("%s: %s%s%s", path, hc_strerror(err), dd[0] ? ": " : "", dd);
		goto out;
	}
	if ((err = hc_sha256(buf, len, d)) != HC_OK)
		goto out;
	hc_hex(d, 32, sha);
	err = HC_ERR_NOMEM;
	if (!(e = cJSON_AddObjectToObject(files, rel)) ||
	    !cJSON_AddNumberToObject(e, "seq", (double)seq) ||
	    !cJSON_AddStringToObject(e, "sha256", sha))
		goto out;
	err = HC_OK;
out:
	cJSON_Delete(p);
	hc_jws_clear(&j);
	free(buf);
	return err;
}

hc_err hc_snapshot_build(const char *tree, int64_t seq, int64_t iat, int64_t expires,
			 char **payload, size_t *nfiles)
{
	cJSON *root = cJSON_CreateObject(), *files;
	char path[4096];
	struct dirent *de;
	DIR *d = NULL;
	hc_err err = HC_ERR_NOMEM;

	*payload = NULL;
	*nfiles = 0;
	if (!root || !cJSON_AddNumberToObject(root, "seq", (double)seq) ||
	    !cJSON_AddNumberToObject(root, "iat", (double)iat) ||
	    !cJSON_AddNumberToObject(root, "expires", (double)expires) ||
	    !(files = cJSON_AddObjectToObject(root, "files")))
		goto out;
	if ((err = add_file(tree, "trustlist.jws", HC_MAX_TRUST_FILE, files)) != HC_OK)
		goto out;
	/* foreign.jws when the tree has it. */
	if (hc_path(path, sizeof(path), "%s/foreign.jws", tree) != HC_OK) {
		err = HC_ERR_INVALID_ARG;
		goto out;
	}
	if ((access(path, F_OK) == 0 || errno != ENOENT) &&
	    (err = add_file(tree, "foreign.jws", HC_MAX_FOREIGN_FILE, files)) != HC_OK)
		goto out;
	if (hc_path(path, sizeof(path), "%s/revocations", tree) != HC_OK) {
		err = HC_ERR_INVALID_ARG;
		goto out;
	}
	if ((d = opendir(path)))
		while ((de = readdir(d))) {
			char rel[300];

			if (!hc_trust_rev_file(de->d_name) ||
			    hc_path(rel, sizeof(rel), "revocations/%s", de->d_name) != HC_OK)
				continue;
			if (!hc_snapshot_path_ok(rel)) {
				hc_set_detail("%s/%s: not a name a trust list can give", path,
					      de->d_name);
				err = HC_ERR_INVALID_ARG;
				goto out;
			}
			if ((err = add_file(tree, rel, HC_MAX_REVOCATION_FILE, files)) != HC_OK)
				goto out;
		}
	*nfiles = (size_t)cJSON_GetArraySize(files);
	err = hc_json_print(root, payload);
out:
	if (d)
		closedir(d);
	cJSON_Delete(root);
	return err;
}
