/* fetch.c: HTTPS GET with libcurl for trust sync, the service's risk feed
 * and its queried sources: certificate verification, https-only
 * redirects, timeouts, a size cap and conditional requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dl_curl.h"
#include "hc_fetch.h"

#define MAX_REDIRS 3
#define CONNECT_TIMEOUT 10L

struct sink {
	uint8_t *buf;
	size_t len, alloc, cap;
	bool over;
	char etag[FETCH_ETAG_LEN];
};

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (n > s->cap - s->len) {
		s->over = true;
		return 0; /* aborts the transfer */
	}
	if (s->len + n + 1 > s->alloc) {
		size_t a = s->alloc ? s->alloc : 65536;
		uint8_t *nb;

		while (a < s->len + n + 1)
			a *= 2;
		if (!(nb = realloc(s->buf, a)))
			return 0;
		s->buf = nb;
		s->alloc = a;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

/* Keeps the ETag of the last response (a redirect starts a new header set). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb, v;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		s->etag[0] = '\0';
	if (n > 5 && strncasecmp(p, "etag:", 5) == 0) {
		for (v = 5; v < n && (p[v] == ' ' || p[v] == '\t'); v++)
			;
		while (n > v && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
			n--;
		/* An ETag is printable ASCII; anything else is not sent back. */
		if (n - v < sizeof(s->etag)) {
			bool ok = true;

			for (size_t i = v; i < n; i++)
				ok = ok && p[i] > 0x20 && p[i] < 0x7f;
			if (ok) {
				memcpy(s->etag, p + v, n - v);
				s->etag[n - v] = '\0';
			}
		}
	}
	return size * nmemb;
}

/* CURLOPT_XFERINFOFUNCTION: nonzero stops the transfer. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return atomic_load((const atomic_bool *)arg) ? 1 : 0;
}

hc_err fetch_url(const struct fetch_opts *o, const char *url, const char *etag, int64_t since,
		 size_t cap, struct fetch *out)
{
	char errbuf[CURL_ERROR_SIZE] = "", hdr[FETCH_ETAG_LEN + 32];
	struct curl_slist *hdrs = NULL;
	struct sink s;
	curl_off_t ft = -1;
	long code = 0;
	CURLcode rc;
	CURL *h = o->h;
	hc_err err = HC_ERR_NET;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.cap = cap;
	sym_curl_easy_reset(h); /* options go, the connection cache stays */
	sym_curl_easy_setopt(h, CURLOPT_URL, url);
	sym_curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	sym_curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	sym_curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	sym_curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)MAX_REDIRS);
	sym_curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	sym_curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	sym_curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->cacert)
		sym_curl_easy_setopt(h, CURLOPT_CAINFO, o->cacert);
	sym_curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT,
			 o->timeout < CONNECT_TIMEOUT ? o->timeout : CONNECT_TIMEOUT);
	sym_curl_easy_setopt(h, CURLOPT_TIMEOUT, o->timeout);
	sym_curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	sym_curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap);
	sym_curl_easy_setopt(h, CURLOPT_USERAGENT, o->ua ? o->ua : "hc-verify-sync/1");
	if (o->cert) {
		sym_curl_easy_setopt(h, CURLOPT_SSLCERT, o->cert);
		sym_curl_easy_setopt(h, CURLOPT_SSLKEY, o->key ? o->key : o->cert);
	}
	sym_curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	sym_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	sym_curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	sym_curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	sym_curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
	sym_curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	if (o->stop) {
		sym_curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
		sym_curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)o->stop);
		sym_curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	}
	if (o->post) {
		if (!(hdrs = sym_curl_slist_append(NULL, "Content-Type: application/json"))) {
			err = HC_ERR_NOMEM;
			goto out;
		}
		sym_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		sym_curl_easy_setopt(h, CURLOPT_POSTFIELDS, o->post);
		sym_curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	} else if (etag && etag[0]) {
		(void)snprintf(hdr, sizeof(hdr), "If-None-Match: %s", etag); /* etag < 256 */
		if (!(hdrs = sym_curl_slist_append(NULL, hdr))) {
			err = HC_ERR_NOMEM;
			goto out;
		}
		sym_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	} else if (since > 0) {
		sym_curl_easy_setopt(h, CURLOPT_TIMECONDITION, (long)CURL_TIMECOND_IFMODSINCE);
		sym_curl_easy_setopt(h, CURLOPT_TIMEVALUE_LARGE, (curl_off_t)since);
	}
	rc = sym_curl_easy_perform(h);
	if (s.over || rc == CURLE_FILESIZE_EXCEEDED) {
		hc_set_detail("%s: body larger than %zu bytes", url, cap);
		err = HC_ERR_TOO_LARGE;
		goto out;
	}
	if (rc == CURLE_ABORTED_BY_CALLBACK) {
		hc_set_detail("%s: stopped", url);
		goto out;
	}
	if (rc != CURLE_OK) {
		hc_set_detail("%s: %s", url, errbuf[0] ? errbuf : sym_curl_easy_strerror(rc));
		goto out;
	}
	sym_curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200 && code != 304) {
		hc_set_detail("%s: HTTP status %ld", url, code);
		out->status = code; /* so that a caller can tell 404 from the rest */
		goto out;
	}
	sym_curl_easy_getinfo(h, CURLINFO_FILETIME_T, &ft);
	out->status = code;
	out->last_modified = ft > 0 ? (int64_t)ft : 0;
	memcpy(out->etag, s.etag, sizeof(out->etag));
	if (code == 200) {
		out->body = s.buf ? s.buf : calloc(1, 1);
		out->len = s.len;
		s.buf = NULL;
		if (!out->body) {
			err = HC_ERR_NOMEM;
			goto out;
		}
	}
	err = HC_OK;
out:
	free(s.buf);
	sym_curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	sym_curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	sym_curl_slist_free_all(hdrs);
	return err;
}

void fetch_clear(struct fetch *f)
{
	free(f->body);
	memset(f, 0, sizeof(*f));
}
