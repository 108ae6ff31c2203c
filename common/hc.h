/* hc.h: libhc public API, errors and the small shared primitives. */
#ifndef HC_H
#define HC_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define HC_WUR __attribute__((warn_unused_result))
#define HC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define HC_WUR
#define HC_PRINTF(a, b)
#endif

/* Hard caps on untrusted input. */
#define HC_MAX_QR_TEXT 4096       /* QR text, bytes */
#define HC_MAX_TOKEN 2048         /* compact JWS of a health code */
#define HC_MAX_INFLATED 16384     /* DESIGN 3: inflated payload cap */
#define HC_MAX_TRUST_FILE (1u << 20) /* trust list, root key files */
#define HC_MAX_JSON_FILE (1u << 20)  /* records, policies, risk areas */
#define HC_MAX_IMAGE_FILE (32u << 20)
#define HC_MAX_JSON_DEPTH 32

/* One error enum for the whole library; hc_strerror() says what went wrong,
 * hc_reason() maps it to the verification reason code of DESIGN 7. */
typedef enum {
	HC_OK = 0,
	HC_ERR_NOMEM,
	HC_ERR_IO,
	HC_ERR_TOO_LARGE,
	HC_ERR_INVALID_ARG,
	/* QR text framing */
	HC_ERR_QR_PREFIX,
	HC_ERR_QR_EMPTY,
	HC_ERR_QR_ODD,
	HC_ERR_QR_DIGIT,
	HC_ERR_QR_RANGE,
	/* JWS structure */
	HC_ERR_JWS_PARTS,
	HC_ERR_B64,
	HC_ERR_B45,  /* base45 text (DCC) */
	HC_ERR_CBOR, /* CBOR or COSE structure (DCC) */
	HC_ERR_HEADER,
	HC_ERR_ALG,
	HC_ERR_SIG_LEN,
	/* payload */
	HC_ERR_INFLATE,
	HC_ERR_INFLATE_CAP,
	HC_ERR_JSON,
	HC_ERR_JSON_DUP,
	HC_ERR_JSON_DEPTH,
	HC_ERR_JSON_UTF8,
	HC_ERR_JSON_MISSING,
	HC_ERR_JSON_TYPE,
	HC_ERR_JSON_UNKNOWN,
	HC_ERR_JSON_INT,
	HC_ERR_CLAIMS,
	HC_ERR_DCC_CONTENT, /* the DCC's certificate content (hcert) */
	/* trust and keys */
	HC_ERR_UNKNOWN_ISSUER,
	HC_ERR_UNKNOWN_KEY,
	HC_ERR_KEY_NOT_VALID,
	HC_ERR_KEY_REVOKED,
	HC_ERR_KEY_USAGE, /* DCC signer not allowed for the certificate type */
	HC_ERR_BAD_SIG,
	HC_ERR_NOT_YET_VALID,
	HC_ERR_EXPIRED,
	HC_ERR_IAT_FUTURE,
	HC_ERR_VALIDITY,
	HC_ERR_REVOKED,
	HC_ERR_REQ_STATUS,
	HC_ERR_REQ_NAT,
	HC_ERR_REQ_DOSES,
	HC_ERR_JWK,
	HC_ERR_KEY_FILE,
	HC_ERR_KEY_PERM,
	HC_ERR_EXISTS,
	HC_ERR_CRYPTO,
	HC_ERR_TRUST_DIR,
	HC_ERR_NO_ROOTS,
	HC_ERR_TRUST_SIG,
	HC_ERR_TRUST_LIST,
	HC_ERR_REVOCATION_LIST,
	HC_ERR_ROLLBACK,
	HC_ERR_STALE_TRUST,
	HC_ERR_NET,
	HC_ERR_KEY_WINDOW,
	HC_ERR_SNAPSHOT,
	/* issuer inputs */
	HC_ERR_RECORD,
	HC_ERR_RISK,
	HC_ERR_POLICY,
	HC_ERR_TIME,
	HC_ERR_QR_TOO_BIG,
	/* images */
	HC_ERR_IMAGE,
	HC_ERR_IMAGE_FORMAT,
	HC_ERR_NO_QR,
	/* the issuing service and its registry */
	HC_ERR_NOT_FOUND,
	HC_ERR_CONFLICT,
	HC_ERR_STORE,
	HC_ERR_UNAVAILABLE,
	HC_ERR_AUDIT,
	HC_ERR__COUNT
} hc_err;

const char *hc_strerror(hc_err e);
/* DESIGN 7 reason code ("malformed", "bad-signature", ...); "ok" for HC_OK;
 * "error" for errors that are not about the code (I/O, memory, config). */
const char *hc_reason(hc_err e);
/* True when e is about the code under test (exit 1), false when it is a
 * usage, I/O or configuration problem (exit 2). */
bool hc_err_is_verdict(hc_err e);
/* A short detail (such as the JSON member at fault) recorded by the last
 * failing call in this thread, or "". Informational only. */
const char *hc_detail(void);
void hc_set_detail(const char *fmt, ...) HC_PRINTF(1, 2);

/* ---- base64url (RFC 4648 section 5, unpadded, canonical) ---- */
/* Standard base64 (RFC 4648 section 4) of n chars with its padding and
 * nothing else (canonical, no white space), at most cap bytes decoded,
 * into a malloc'd *out. HC_ERR_B64, HC_ERR_TOO_LARGE or HC_ERR_NOMEM. */
hc_err hc_b64_decode(const char *s, size_t n, size_t cap, uint8_t **out, size_t *len) HC_WUR;

/* ---- hex ---- */
/* n bytes as 2n lowercase hex digits plus NUL into out. */
void hc_hex(const uint8_t *p, size_t n, char *out);
/* The value of hex digit c (either case), or -1. */
int hc_hexval(int c);

size_t hc_b64u_enclen(size_t n);
/* Writes hc_b64u_enclen(n) chars plus NUL into out (outsz must hold them). */
hc_err hc_b64u_encode(const uint8_t *in, size_t n, char *out, size_t outsz) HC_WUR;
/* Strict decode: rejects '=', whitespace, bad characters, an impossible
 * length (n % 4 == 1) and non-zero trailing bits. */
hc_err hc_b64u_decode(const char *in, size_t n, uint8_t *out, size_t outsz,
		      size_t *outlen) HC_WUR;

/* ---- raw DEFLATE (RFC 1951) ---- */
/* Compresses into a malloc'd buffer. */
hc_err hc_deflate(const uint8_t *in, size_t n, uint8_t **out, size_t *outlen) HC_WUR;
/* Inflates into a malloc'd buffer of at most cap bytes (plus a NUL that is
 * not counted); HC_ERR_INFLATE_CAP if the stream would be longer. */
hc_err hc_inflate(const uint8_t *in, size_t n, size_t cap, uint8_t **out,
		  size_t *outlen) HC_WUR;
/* The same for a zlib stream (RFC 1950: header and Adler-32 around the
 * DEFLATE data), as EU DCCs carry; nothing may follow the stream. */
hc_err hc_zinflate(const uint8_t *in, size_t n, size_t cap, uint8_t **out,
		   size_t *outlen) HC_WUR;

/* ---- files ---- */
/* Reads a whole file of at most cap bytes into a NUL-terminated buffer. */
hc_err hc_read_file(const char *path, size_t cap, uint8_t **out, size_t *outlen) HC_WUR;
/* The same from an open descriptor (not closed); path names it in details. */
hc_err hc_read_fd(int fd, const char *path, size_t cap, uint8_t **out, size_t *outlen) HC_WUR;
/* Two-phase atomic write: stage writes data to a new temporary file beside
 * path (name returned in tmp) and fsyncs it; commit renames it into place
 * and fsyncs the directory (on failure the temporary file is removed). */
/* All n bytes to fd, again after EINTR; HC_ERR_IO with errno set. */
hc_err hc_write_all(int fd, const void *data, size_t n) HC_WUR;
hc_err hc_file_stage(const char *path, const void *data, size_t n, int mode, char *tmp,
		     size_t tmpsz) HC_WUR;
hc_err hc_file_commit(const char *tmp, const char *path) HC_WUR;
/* Writes data to path atomically (temp file, fsync, rename, dir fsync). */
hc_err hc_write_file_atomic(const char *path, const void *data, size_t n, int mode) HC_WUR;
/* A program's exit status: rc, or 2 (with a message on stderr) when
 * standard output could not be written (a full disk, a closed pipe). */
int hc_stdout_status(const char *prog, int rc);
/* Formats a path into buf; HC_ERR_INVALID_ARG (detail "path too long")
 * when it does not fit, since a truncated path names another file. */
hc_err hc_path(char *buf, size_t n, const char *fmt, ...) HC_PRINTF(3, 4) HC_WUR;

/* ---- time ---- */
/* Parses integer seconds, RFC 3339 ("2026-11-21T09:30:00+08:00", "...Z")
 * or a calendar date ("2026-11-21", midnight China Standard Time, +08:00). */
hc_err hc_time_parse(const char *s, int64_t *out) HC_WUR;
/* The same without integer seconds: RFC 3339 or a calendar date only, for
 * time strings inside JSON, where seconds are a JSON number. */
hc_err hc_time_parse_text(const char *s, int64_t *out) HC_WUR;
/* Parses "90", "90s", "30m", "24h", "7d" into seconds (> 0). */
hc_err hc_duration_parse(const char *s, int64_t *out) HC_WUR;
/* Formats t as "YYYY-MM-DDTHH:MM:SSZ". buf must hold 21 bytes. */
void hc_time_format(int64_t t, char *buf, size_t n);
int64_t hc_now(void);
/* Microseconds on the monotonic clock (for durations, not dates). */
uint64_t hc_mono_us(void);
/* A condition variable whose timed waits run on CLOCK_MONOTONIC (their
 * deadlines from clock_gettime(CLOCK_MONOTONIC)): on the default
 * CLOCK_REALTIME a wall clock stepped back (NTP correcting it) stretches a
 * wait by the step. pthread's error, 0 when made (thread.c). */
int hc_cond_init_mono(pthread_cond_t *cv);

/* ---- per thread (thread.c) ---- */
/* A block of size bytes per thread: hc_thread_block gives the calling
 * thread's, made zeroed at its first call (NULL: none can be kept; the
 * caller then does without). drop releases a block and what it holds,
 * when its thread ends or at hc_thread_block_drop (the calling thread's,
 * now); hc_thread_block_peek gives it without making one. Declared
 * static with HC_THREAD_BLOCKS. */
struct hc_thread_blocks {
	_Atomic int made; /* 0: the key not made yet, 1: made, -1: cannot be */
	pthread_key_t key;
	size_t size;
	void (*drop)(void *);
};
#define HC_THREAD_BLOCKS(type, drop_fn) {0, 0, sizeof(type), (drop_fn)}
void *hc_thread_block(struct hc_thread_blocks *b);
void *hc_thread_block_peek(struct hc_thread_blocks *b);
void hc_thread_block_drop(struct hc_thread_blocks *b);

/* ---- text ---- */
bool hc_utf8_valid(const char *s, size_t n);
/* Copies s into out[outsz] (outsz > 0), cut at outsz - 1 bytes and always
 * NUL-terminated: what snprintf(out, outsz, "%s", s) writes, without
 * printf's cost (some 600 instructions a call, several a line of
 * /v1/events). */
void hc_copy(char *out, size_t outsz, const char *s);
/* Appends s at buf + *len (NUL-terminated) and advances *len; false when
 * it does not fit in cap (nothing written then). */
bool hc_append(char *buf, size_t cap, size_t *len, const char *s);
/* v in decimal, as printf's "%lld" writes it, into num[24] (NUL-terminated);
 * returns num. */
const char *hc_decimal(int64_t v, char num[24]);
/* Copies s into out for display: every character of Unicode categories Cc
 * (C0, DEL, C1), Cf (bidi controls, zero-width and other invisible format
 * characters, tags), Zl and Zp, and invalid UTF-8, become U+FFFD. The one
 * filter of every output path. Always NUL-terminates; truncates on a
 * character boundary. */
void hc_display_safe(const char *s, char *out, size_t outsz);
/* Masks a name: keeps the first character, every other one becomes '*'. */
hc_err hc_mask_name(const char *name, char *out, size_t outsz) HC_WUR;
/* Masks an identity number: first 3 and last 4 characters kept. */
hc_err hc_mask_id(const char *id, char *out, size_t outsz) HC_WUR;

#endif
