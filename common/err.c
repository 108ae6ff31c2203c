/* err.c: hc_err messages, reason codes and the per-thread error detail. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hc.h"

struct err_info {
	const char *msg;
	const char *reason; /* DESIGN 7 code, or "error" for non-verdict errors */
};

static const struct err_info errs[HC_ERR__COUNT] = {
	[HC_OK] = {"success", "ok"},
	[HC_ERR_NOMEM] = {"out of memory", "error"},
	[HC_ERR_IO] = {"input/output error", "error"},
	[HC_ERR_TOO_LARGE] = {"input too large", "malformed"},
	[HC_ERR_INVALID_ARG] = {"invalid argument", "error"},
	[HC_ERR_QR_PREFIX] = {"QR text does not have the expected prefix and framing", "malformed"},
	[HC_ERR_QR_EMPTY] = {"QR text has no digits after the prefix", "malformed"},
	[HC_ERR_QR_ODD] = {"QR text has an odd number of digits", "malformed"},
	[HC_ERR_QR_DIGIT] = {"QR text has a character that is not a digit", "malformed"},
	[HC_ERR_QR_RANGE] = {"QR text has a digit pair above 77", "malformed"},
	[HC_ERR_JWS_PARTS] = {"token is not three dot-separated parts", "malformed"},
	[HC_ERR_B64] = {"token part is not valid base64url", "malformed"},
	[HC_ERR_B45] = {"text is not valid base45", "malformed"},
	[HC_ERR_CBOR] = {"CBOR or COSE structure is malformed", "malformed"},
	[HC_ERR_HEADER] = {"header is not as required: {alg, zip, kid} in a token, alg and kid in COSE",
			    "malformed"},
	[HC_ERR_ALG] = {"algorithm not allowed: ES256 or SM2 for a health code, ES256 for a card, "
			 "ES256 or PS256 for a DCC",
			 "unsupported-alg"},
	[HC_ERR_SIG_LEN] = {"signature is not in its algorithm's form (64 bytes of R||S for ES256 and SM2)",
			     "malformed"},
	[HC_ERR_INFLATE] = {"payload is not one complete compressed stream (raw DEFLATE; zlib in a DCC)",
			     "malformed"},
	[HC_ERR_INFLATE_CAP] = {"payload inflates past its cap (16 KiB for a health code, 64 KiB for a card "
				 "or a DCC)",
				 "malformed"},
	[HC_ERR_JSON] = {"invalid JSON", "malformed"},
	[HC_ERR_JSON_DUP] = {"duplicate JSON member name", "malformed"},
	[HC_ERR_JSON_DEPTH] = {"JSON nested too deeply", "malformed"},
	[HC_ERR_JSON_UTF8] = {"JSON text is not valid UTF-8", "malformed"},
	[HC_ERR_JSON_MISSING] = {"required JSON member missing", "malformed"},
	[HC_ERR_JSON_TYPE] = {"JSON member has the wrong type", "malformed"},
	[HC_ERR_JSON_UNKNOWN] = {"unknown JSON member", "malformed"},
	[HC_ERR_JSON_INT] = {"JSON number is not an integer in range", "malformed"},
	[HC_ERR_CLAIMS] = {"claims are inconsistent or out of range", "malformed"},
	[HC_ERR_DCC_CONTENT] = {"certificate content lacks a required member or has one of the wrong type",
				"malformed"},
	[HC_ERR_UNKNOWN_ISSUER] = {"issuer is not in the trust list", "unknown-issuer"},
	[HC_ERR_UNKNOWN_KEY] = {"key id is not one of the issuer's keys", "unknown-key"},
	[HC_ERR_KEY_NOT_VALID] = {"issuer key was not valid at the time of issue", "key-not-valid"},
	[HC_ERR_KEY_REVOKED] = {"issuer key is revoked", "key-not-valid"},
	[HC_ERR_KEY_USAGE] = {"signer certificate's key usage does not allow this certificate type",
			      "key-not-valid"},
	[HC_ERR_BAD_SIG] = {"signature does not verify", "bad-signature"},
	[HC_ERR_NOT_YET_VALID] = {"code is not valid yet", "not-yet-valid"},
	[HC_ERR_EXPIRED] = {"code has expired", "expired"},
	[HC_ERR_IAT_FUTURE] = {"code is issued in the future", "issued-in-future"},
	[HC_ERR_VALIDITY] = {"code is valid longer than its issuer's max_validity",
			     "validity-too-long"},
	[HC_ERR_REVOKED] = {"code has been revoked", "revoked"},
	[HC_ERR_REQ_STATUS] = {"status is not green", "requirement-not-met"},
	[HC_ERR_REQ_NAT] = {"no negative test within the required time", "requirement-not-met"},
	[HC_ERR_REQ_DOSES] = {"fewer vaccine doses than required", "requirement-not-met"},
	[HC_ERR_JWK] = {"invalid JWK public key", "error"},
	[HC_ERR_KEY_FILE] = {"invalid or unreadable private key (file or token)", "error"},
	[HC_ERR_KEY_PERM] = {"private key file is readable by group or others", "error"},
	[HC_ERR_EXISTS] = {"file exists; refusing to overwrite", "error"},
	[HC_ERR_CRYPTO] = {"cryptographic operation failed", "error"},
	[HC_ERR_TRUST_DIR] = {"trust directory is missing or unreadable", "error"},
	[HC_ERR_NO_ROOTS] = {"no pinned root keys in the trust directory", "error"},
	[HC_ERR_TRUST_SIG] = {"trust list signature does not verify under a pinned root", "error"},
	[HC_ERR_TRUST_LIST] = {"trust list is malformed", "error"},
	[HC_ERR_REVOCATION_LIST] = {"revocation list is malformed or not signed by its issuer", "error"},
	[HC_ERR_ROLLBACK] = {"sequence number is not higher than the one held (rollback)", "error"},
	[HC_ERR_SNAPSHOT] = {"trust data does not match a valid snapshot", "error"},
	[HC_ERR_STALE_TRUST] = {"trust data is past its next update and grace period", "stale-trust"},
	[HC_ERR_NET] = {"network or server error", "error"},
	[HC_ERR_KEY_WINDOW] = {"signing key is not active and inside its validity window", "error"},
	[HC_ERR_RECORD] = {"invalid person record", "error"},
	[HC_ERR_RISK] = {"invalid risk-area list", "error"},
	[HC_ERR_POLICY] = {"invalid policy", "error"},
	[HC_ERR_TIME] = {"invalid time or duration", "error"},
	[HC_ERR_QR_TOO_BIG] = {"token does not fit a version 22 QR code", "error"},
	[HC_ERR_IMAGE] = {"image is damaged or unreadable", "malformed"},
	[HC_ERR_IMAGE_FORMAT] = {"file is not a PNG or JPEG image", "malformed"},
	[HC_ERR_NO_QR] = {"no QR code found in the image", "malformed"},
	[HC_ERR_NOT_FOUND] = {"no such entry", "error"},
	[HC_ERR_CONFLICT] = {"changed by a concurrent request", "error"},
	[HC_ERR_STORE] = {"registry error", "error"},
	[HC_ERR_UNAVAILABLE] = {"a data source needed for the status is unavailable", "error"},
	[HC_ERR_AUDIT] = {"audit chain does not verify", "error"},
};

const char *hc_strerror(hc_err e)
{
	if ((unsigned)e >= HC_ERR__COUNT || !errs[e].msg)
		return "unknown error";
	return errs[e].msg;
}

const char *hc_reason(hc_err e)
{
	if ((unsigned)e >= HC_ERR__COUNT || !errs[e].reason)
		return "error";
	return errs[e].reason;
}

bool hc_err_is_verdict(hc_err e)
{
	const char *r = hc_reason(e);

	return e != HC_OK && strcmp(r, "error") != 0;
}

static _Thread_local char detail[160];

const char *hc_detail(void)
{
	return detail;
}

void hc_set_detail(const char *fmt, ...)
{
	va_list ap;

	if (!fmt) {
		detail[0] = '\0';
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
}
