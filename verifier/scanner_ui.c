/* scanner_ui.c: the verdict screens of hc-verify scan: json (one line per
 * verdict on standard output) and terminal (the whole terminal, on the
 * alternate screen: a block in the verdict's colour, the verdict and its
 * reason in words, the masked name and ID, the issuer and the expiry, in
 * Chinese or English; the terminal is restored on exit and on a signal). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

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

/* ---- terminal ---- */

struct words {
	const char *reason;
	const char *en, *zh;
};

static const struct words reasons[] = {
	{"ok", "valid code", "有效健康码"},
	{"malformed", "not a readable health code", "不是可识别的健康码"},
	{"unsupported-alg", "unsupported signature algorithm", "不支持的签名算法"},
	{"unknown-issuer", "issuer not trusted", "签发机构不受信任"},
	{"unknown-key", "signing key not trusted", "签名密钥不受信任"},
	{"key-not-valid", "signing key not valid when issued", "签发时签名密钥无效"},
	{"bad-signature", "forged or altered code", "伪造或被篡改的健康码"},
	{"issued-in-future", "issued in the future", "签发时间在未来"},
	{"validity-too-long", "validity too long", "有效期过长"},
	{"not-yet-valid", "not yet valid", "尚未生效"},
	{"expired", "expired", "已过期"},
	{"revoked", "revoked", "已撤销"},
	{"requirement-not-met", "does not meet this checkpoint's rule", "不符合本检查点要求"},
	{"stale-trust", "trust data out of date", "信任数据已过期"},
};

const char *scan_reason_words(const char *reason, enum scan_lang lang)
{
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		if (strcmp(reasons[i].reason, reason) == 0)
			return lang == LANG_ZH ? reasons[i].zh : reasons[i].en;
	return lang == LANG_ZH ? "无法核验" : "cannot be verified";
}

const char *scan_status_words(enum hc_status st, enum scan_lang lang)
{
	static const char *const en[] = {"green", "yellow", "red"};
	static const char *const zh[] = {"绿码", "黄码", "红码"};

	if ((unsigned)st >= 3)
		return "?";
	return lang == LANG_ZH ? zh[st] : en[st];
}

/* Columns a UTF-8 string takes: CJK and fullwidth characters two. */
static size_t columns(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		unsigned cp = *p, len = 1;

		if (cp >= 0xf0)
			len = 4, cp &= 0x07;
		else if (cp >= 0xe0)
			len = 3, cp &= 0x0f;
		else if (cp >= 0xc0)
			len = 2, cp &= 0x1f;
		for (unsigned i = 1; i < len && (p[i] & 0xc0) == 0x80; i++)
			cp = cp << 6 | (p[i] & 0x3f);
		n += cp >= 0x1100 && (cp < 0x2e80 ? cp <= 0x115f : cp <= 0xffdc) ? 2 : 1;
		for (unsigned i = 0; i < len && *p; i++)
			p++;
	}
	return n;
}

static struct termios saved_tio;
static bool tio_saved, screen_on;

static void term_size(unsigned *w, unsigned *h)
{
	struct winsize ws;

	*w = 80;
	*h = 24;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0) {
		*w = ws.ws_col;
		*h = ws.ws_row;
	}
}

/* text centred in a row of width w, on the current colours */
static void centred(const char *text, unsigned w)
{
	size_t c = columns(text), pad = c < w ? (w - c) / 2 : 0;

	printf("%*s%s%*s", (int)pad, "", text, (int)(c + pad < w ? w - c - pad : 0), "");
}

static void term_line(const char *label, const char *value)
{
	char safe[512];

	hc_display_safe(value, safe, sizeof(safe));
	printf("  \033[1m%s\033[0m  %s\033[K\r\n", label, safe);
}

static void term_idle(const struct scanner *s)
{
	printf("\033[0m\033[2J\033[H\r\n  %s\033[K\r\n",
	       s->lang == LANG_ZH ? "请出示健康码" : "Show your health code");
	(void)fflush(stdout);
}

static void ui_terminal(const struct scanner *s, const struct verdict *v)
{
	static const char *const bg[] = {"42", "43", "41"};
	const bool zh = s->lang == LANG_ZH, pass = v->r.err == HC_OK;
	const char *colour = pass ? bg[(unsigned)v->r.c.st < 3 ? v->r.c.st : 2] : bg[2];
	char when[64], big[64];
	unsigned w, h, rows, y;

	term_size(&w, &h);
	rows = h >= 16 ? h / 2 : 5;
	(void)snprintf(big, sizeof(big), "%s", pass ? (zh ? "通过  PASS" : "PASS") :
					     (zh ? "不通过  FAIL" : "FAIL"));
	printf("\033[0m\033[2J\033[H\033[1;97;%sm", colour);
	for (y = 0; y < rows; y++) {
		if (y == rows / 2)
			centred(big, w);
		else if (y == rows / 2 + 1 && v->r.verified)
			centred(scan_status_words(v->r.c.st, s->lang), w);
		else
			printf("%*s", (int)w, "");
		printf("\r\n");
	}
	printf("\033[0m\r\n");
	term_line(zh ? "原因" : "Reason", scan_reason_words(hc_reason(v->r.err), s->lang));
	if (v->r.verified) {
		time_t t = (time_t)v->r.c.exp;
		struct tm tm;

		if (!localtime_r(&t, &tm) || strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
			(void)snprintf(when, sizeof(when), "%lld", (long long)v->r.c.exp);
		term_line(zh ? "姓名" : "Name", v->r.c.name);
		term_line(zh ? "证件号" : "ID", v->r.c.id);
		term_line(zh ? "签发机构" : "Issuer", v->r.issuer_name);
		term_line(zh ? "有效期至" : "Expires", when);
	}
	if (v->r.stale)
		term_line(zh ? "注意" : "Warning", scan_reason_words("stale-trust", s->lang));
	if (s->checkpoint)
		term_line(zh ? "检查点" : "Checkpoint", s->checkpoint);
	(void)fflush(stdout);
}

int scan_ui_start(struct scanner *s)
{
	struct termios t;

	if (s->ui == UI_WINDOW)
		return scan_window_start(s);
	if (s->ui != UI_TERMINAL)
		return 0;
	if (!isatty(STDOUT_FILENO)) {
		fprintf(stderr, "hc-verify scan: --ui terminal needs a terminal on standard output\n");
		return -1;
	}
	/* The scanner's keystrokes are not echoed over the screen. */
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tio) == 0) {
		tio_saved = true;
		t = saved_tio;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	screen_on = true;
	printf("\033[?1049h\033[?25l");
	term_idle(s);
	return 0;
}

void scan_ui_verdict(struct scanner *s, const struct verdict *v)
{
	if (s->ui == UI_TERMINAL)
		ui_terminal(s, v);
	else if (s->ui == UI_WINDOW)
		scan_window_verdict(s, v);
	else
		ui_json(s, v);
}

void scan_ui_picture(struct scanner *s, const uint8_t *pix, unsigned w, unsigned h,
		     size_t stride)
{
	if (s->ui == UI_WINDOW)
		scan_window_picture(s, pix, w, h, stride);
}

void scan_ui_tick(struct scanner *s)
{
	if (s->ui == UI_WINDOW)
		scan_window_pump(s);
}

void scan_ui_stop(struct scanner *s)
{
	if (s->ui == UI_WINDOW)
		scan_window_stop(s);
	if (screen_on) {
		printf("\033[0m\033[?1049l\033[?25h");
		(void)fflush(stdout);
		screen_on = false;
	}
	if (tio_saved) {
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = false;
	}
}
