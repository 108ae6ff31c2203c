/* scanner.h: the parts of hc-verify-scan (hc-verify scan) shared by its
 * files: the session, the scan log and the verdict screens. */
#ifndef HC_SCANNER_H
#define HC_SCANNER_H

#include <signal.h>

#include "hc_image.h"
#include "verifier.h"

#define SCAN_GONE_MS 2000    /* out of view this long: verified again */
#define SCAN_REPEAT_MS 30000 /* in view this long: verified again */
#define SCAN_SEEN_MAX 64     /* codes remembered (in view recently) */

enum scan_ui { UI_JSON, UI_TERMINAL, UI_WINDOW };
enum scan_lang { LANG_EN, LANG_ZH };

/* The scan log: one file, or one file a day in a directory. */
struct scan_log {
	const char *spec; /* --log; NULL: none */
	bool daily;       /* spec is a directory */
	int fd;
	char day[16];     /* the open file's day (daily) */
	char path[4096];
	int64_t synced_ms; /* monotonic time of the last fdatasync */
	bool dirty;        /* written since */
};

/* One verdict, as shown and logged. */
struct verdict {
	int64_t at; /* scan time, epoch seconds */
	const char *code;
	size_t n;
	struct hc_result r;
	char detail[320];
};

struct seen {
	uint8_t id[32]; /* SHA-256 of the text */
	int64_t seen_ms, verified_ms;
};

struct scanner {
	const char *trust_dir;
	struct hc_trust *trust;
	char trust_stamp[256];
	int64_t trust_checked_ms;
	struct hc_verify_opts opts;
	bool at_given, raw;
	const char *checkpoint;
	enum scan_ui ui;
	enum scan_lang lang;
	struct scan_log log;
	struct seen seen[SCAN_SEEN_MAX];
	size_t nseen;
	const char *screenshot; /* --screenshot: the window written there */
	int64_t period_ms; /* between frames */
	uint64_t verdicts;
};

extern volatile sig_atomic_t scan_stop; /* the signal that asked to stop */

int64_t scan_mono_ms(void);
/* Opens the log (a single file at once; a directory's day files when a
 * verdict needs one). -1 with a message printed on failure. */
int scan_log_open(struct scan_log *l, const char *spec);
/* Appends v's line; -1 with a message printed when it cannot. */
int scan_log_write(struct scan_log *l, const struct verdict *v, const char *checkpoint);
/* fdatasync when a line is older than a second. */
int scan_log_tick(struct scan_log *l);
int scan_log_close(struct scan_log *l);

/* Verification (scanner_verify.c). The codes of one frame at time t (ms)
 * through the rule. */
int scan_frame(struct scanner *s, int64_t t, const struct hc_scan *sc);
/* The trust directory (re)loaded into s->trust. */
hc_err scan_trust_load(struct scanner *s);
/* A code's verdict, shown and logged; a chunk of a card is held until
 * its set is complete. 0, or -1 when the log cannot be written. */
int scan_verdict(struct scanner *s, int64_t at, const char *text, size_t n);
/* The held set's verdict, complete or not (the end of the input). */
int scan_set_flush(struct scanner *s);
/* An incomplete set held past --shc-wait gets its verdict. */
int scan_set_tick(struct scanner *s);
extern int64_t scan_clock_ms;    /* the input's clock: frame time, or monotonic */
extern int64_t scan_shc_wait_ms; /* --shc-wait, ms */
/* --video FILE, or --camera DEV when camera (scanner_video.c). */
int scan_video(struct scanner *s, const char *path, bool camera);

/* The verdict screens (scanner_ui.c). */
int scan_ui_start(struct scanner *s);
void scan_ui_verdict(struct scanner *s, const struct verdict *v);
void scan_ui_stop(struct scanner *s);
/* A picture shown (the window), and the window's events handled. */
void scan_ui_picture(struct scanner *s, const uint8_t *pix, unsigned w, unsigned h,
		     size_t stride);
void scan_ui_tick(struct scanner *s);
/* Words for a reason code and a status, in the screen's language. */
const char *scan_reason_words(const char *reason, enum scan_lang lang);
const char *scan_status_words(enum hc_status st, enum scan_lang lang);

/* The window (scanner_window.c; SDL2 in hc-verify-scan-av only). */
int scan_window_start(struct scanner *s);
void scan_window_verdict(struct scanner *s, const struct verdict *v);
void scan_window_picture(struct scanner *s, const uint8_t *pix, unsigned w, unsigned h,
			 size_t stride);
void scan_window_pump(struct scanner *s);
void scan_window_stop(struct scanner *s);

#endif
