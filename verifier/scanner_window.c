/* scanner_window.c: hc-verify scan --ui window: an SDL2 window with the
 * camera or video picture on the left and the verdict panel on the right
 * (a block in the verdict's colour with 通过 / PASS or 不通过 / FAIL, then
 * the reason in words, the masked name and ID, the issuer and the expiry,
 * in Chinese or English), text in a CJK font from Debian (SDL2_ttf).
 * Only hc-verify-scan-av is built with SDL2 (HC_AV); --screenshot FILE
 * writes the window to FILE (BMP) after every change, for tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanner.h"

#ifdef HC_AV
#include <dlfcn.h>

#include <SDL.h>
#include <SDL_ttf.h>

/* SDL2 and SDL2_ttf are opened with the window (dlopen, as common/dl.c
 * opens zbar), not linked: --video and --camera with --ui json or
 * terminal do not load them. F(f) calls f through its pointer. */
#define WIN_SDL(X) \
	X(SDL_Init) X(SDL_Quit) X(SDL_GetError) X(SDL_CreateWindow) \
	X(SDL_DestroyWindow) X(SDL_CreateRenderer) \
	X(SDL_DestroyRenderer) X(SDL_CreateTexture) \
	X(SDL_CreateTextureFromSurface) X(SDL_DestroyTexture) \
	X(SDL_QueryTexture) X(SDL_UpdateYUVTexture) \
	X(SDL_FreeSurface) X(SDL_CreateRGBSurfaceWithFormat) \
	X(SDL_GetRendererOutputSize) X(SDL_RenderReadPixels) \
	X(SDL_SaveBMP_RW) X(SDL_RWFromFile) X(SDL_SetRenderDrawColor) \
	X(SDL_RenderClear) X(SDL_RenderCopy) X(SDL_RenderFillRect) \
	X(SDL_RenderPresent) X(SDL_PollEvent)
#define WIN_TTF(X) \
	X(TTF_Init) X(TTF_Quit) X(TTF_OpenFont) X(TTF_CloseFont) \
	X(TTF_RenderUTF8_Blended)
#define WIN_PTR(f) static __typeof__(f) *p_##f;
WIN_SDL(WIN_PTR)
WIN_TTF(WIN_PTR)
#define F(f) (*p_##f)

#define PIC_W 640
#define PIC_H 480
#define PANEL_W 400
#define BLOCK_H 200
#define LINES 6

/* CJK fonts of Debian's fonts-wqy-microhei and fonts-noto-cjk. */
static const char *const fonts[] = {
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
};

static struct {
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *pic, *big, *sub, *line[LINES];
	TTF_Font *fbig, *fline;
	uint8_t *uv; /* chroma planes of a gray picture: all 128 */
	size_t uvcap;
	int pw, ph; /* the picture texture's size */
	SDL_Color block;
	bool ttf, sdl;
} win;

struct win_sym {
	const char *name;
	void **slot;
};
#define WIN_SYM(f) {#f, (void **)&p_##f},

/* Opens soname (for good) and finds every symbol of syms; 0, or -1 with
 * the reason on standard error. */
static int win_open(const char *soname, const struct win_sym *syms, size_t n)
{
	void *h, *p;
	const char *e;

	(void)dlerror();
	if (!(h = dlopen(soname, RTLD_NOW | RTLD_LOCAL))) {
		e = dlerror();
		fprintf(stderr, "hc-verify scan: --ui window: %s\n", e ? e : soname);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		(void)dlerror();
		p = dlsym(h, syms[i].name);
		if (dlerror() != NULL || !p) {
			fprintf(stderr, "hc-verify scan: --ui window: %s: no %s\n", soname, syms[i].name);
			return -1;
		}
		*syms[i].slot = p;
	}
	return 0;
}

static int win_load(void)
{
	static const struct win_sym sdl[] = {WIN_SDL(WIN_SYM)}, ttf[] = {WIN_TTF(WIN_SYM)};

	if (win_open("libSDL2-2.0.so.0", sdl, sizeof(sdl) / sizeof(sdl[0])) != 0 ||
	    win_open("libSDL2_ttf-2.0.so.0", ttf, sizeof(ttf) / sizeof(ttf[0])) != 0)
		return -1;
	return 0;
}

static void tex_free(SDL_Texture **t)
{
	if (*t)
		F(SDL_DestroyTexture)(*t);
	*t = NULL;
}

static SDL_Texture *text(TTF_Font *f, const char *s, SDL_Color c)
{
	SDL_Surface *su;
	SDL_Texture *t;

	if (!s || !s[0] || !(su = F(TTF_RenderUTF8_Blended)(f, s, c)))
		return NULL;
	t = F(SDL_CreateTextureFromSurface)(win.ren, su);
	F(SDL_FreeSurface)(su);
	return t;
}

/* Copies t with its top-left at x, y (centred on x when centre). */
static void put(SDL_Texture *t, int x, int y, bool centre)
{
	SDL_Rect r;

	if (!t || F(SDL_QueryTexture)(t, NULL, NULL, &r.w, &r.h) != 0)
		return;
	r.x = centre ? x - r.w / 2 : x;
	r.y = y;
	if (r.w > PANEL_W - 20 && !centre)
		r.w = PANEL_W - 20; /* long lines are squeezed, not cut */
	(void)F(SDL_RenderCopy)(win.ren, t, NULL, &r);
}

static void screenshot(const struct scanner *s)
{
	char tmp[4200];
	SDL_Surface *su;
	int w, h;

	if (!s->screenshot || F(SDL_GetRendererOutputSize)(win.ren, &w, &h) != 0)
		return;
	if (!(su = F(SDL_CreateRGBSurfaceWithFormat)(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888)))
		return;
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", s->screenshot);
	if (F(SDL_RenderReadPixels)(win.ren, NULL, SDL_PIXELFORMAT_ARGB8888, su->pixels, su->pitch) != 0 ||
	    F(SDL_SaveBMP_RW)(su, F(SDL_RWFromFile)(tmp, "wb"), 1) != 0 || rename(tmp, s->screenshot) != 0)
		fprintf(stderr, "hc-verify scan: --screenshot %s: %s\n", s->screenshot, F(SDL_GetError)());
	F(SDL_FreeSurface)(su);
}

static void redraw(const struct scanner *s)
{
	SDL_Rect block = {PIC_W, 0, PANEL_W, BLOCK_H}, panel = {PIC_W, 0, PANEL_W, PIC_H};

	(void)F(SDL_SetRenderDrawColor)(win.ren, 0, 0, 0, 255);
	(void)F(SDL_RenderClear)(win.ren);
	if (win.pic) { /* the picture, fitted in PIC_W x PIC_H */
		SDL_Rect r = {0, 0, PIC_W, PIC_H};

		if ((int64_t)win.pw * PIC_H > (int64_t)win.ph * PIC_W)
			r.h = (int)((int64_t)win.ph * PIC_W / win.pw);
		else
			r.w = (int)((int64_t)win.pw * PIC_H / win.ph);
		r.x = (PIC_W - r.w) / 2;
		r.y = (PIC_H - r.h) / 2;
		(void)F(SDL_RenderCopy)(win.ren, win.pic, NULL, &r);
	}
	(void)F(SDL_SetRenderDrawColor)(win.ren, 245, 245, 245, 255);
	(void)F(SDL_RenderFillRect)(win.ren, &panel);
	(void)F(SDL_SetRenderDrawColor)(win.ren, win.block.r, win.block.g, win.block.b, 255);
	(void)F(SDL_RenderFillRect)(win.ren, &block);
	put(win.big, PIC_W + PANEL_W / 2, BLOCK_H / 2 - 50, true);
	put(win.sub, PIC_W + PANEL_W / 2, BLOCK_H / 2 + 30, true);
	for (int i = 0; i < LINES; i++)
		put(win.line[i], PIC_W + 12, BLOCK_H + 16 + 42 * i, false);
	F(SDL_RenderPresent)(win.ren);
	screenshot(s);
}

static void set_lines(const struct scanner *s, const char *big, const char *sub,
		      const char *const *lines, size_t n)
{
	static const SDL_Color white = {255, 255, 255, 255}, ink = {20, 20, 20, 255};

	(void)s;
	tex_free(&win.big);
	tex_free(&win.sub);
	win.big = text(win.fbig, big, white);
	win.sub = text(win.fline, sub, white);
	for (size_t i = 0; i < LINES; i++) {
		tex_free(&win.line[i]);
		if (i < n)
			win.line[i] = text(win.fline, lines[i], ink);
	}
}

int scan_window_start(struct scanner *s)
{
	const char *idle = s->lang == LANG_ZH ? "请出示健康码" : "Show your health code";
	const char *font = NULL;
	FILE *f;

	for (size_t i = 0; i < sizeof(fonts) / sizeof(fonts[0]) && !font; i++)
		if ((f = fopen(fonts[i], "rb")) != NULL) {
			(void)fclose(f);
			font = fonts[i];
		}
	if (!font) {
		fprintf(stderr, "hc-verify scan: --ui window: no CJK font (install fonts-wqy-microhei "
				"or fonts-noto-cjk)\n");
		return -1;
	}
	if (win_load() != 0)
		return -1;
	if (F(SDL_Init)(SDL_INIT_VIDEO) != 0) {
		fprintf(stderr, "hc-verify scan: --ui window: %s\n", F(SDL_GetError)());
		return -1;
	}
	win.sdl = true;
	if (F(TTF_Init)() != 0) {
		fprintf(stderr, "hc-verify scan: --ui window: %s\n", F(SDL_GetError)());
		return -1;
	}
	win.ttf = true;
	if (!(win.fbig = F(TTF_OpenFont)(font, 56)) || !(win.fline = F(TTF_OpenFont)(font, 24))) {
		fprintf(stderr, "hc-verify scan: --ui window: %s: %s\n", font, F(SDL_GetError)());
		return -1;
	}
	if (!(win.win = F(SDL_CreateWindow)("hc-verify scan", SDL_WINDOWPOS_UNDEFINED,
					 SDL_WINDOWPOS_UNDEFINED, PIC_W + PANEL_W, PIC_H, 0)) ||
	    (!(win.ren = F(SDL_CreateRenderer)(win.win, -1, 0)) &&
	     !(win.ren = F(SDL_CreateRenderer)(win.win, -1, SDL_RENDERER_SOFTWARE)))) {
		fprintf(stderr, "hc-verify scan: --ui window: %s\n", F(SDL_GetError)());
		return -1;
	}
	win.block = (SDL_Color){90, 90, 90, 255};
	set_lines(s, idle, NULL, NULL, 0);
	redraw(s);
	return 0;
}

void scan_window_verdict(struct scanner *s, const struct verdict *v)
{
	static const SDL_Color colours[] = {{0, 150, 60, 255}, {230, 170, 0, 255}, {200, 30, 30, 255}};
	const bool zh = s->lang == LANG_ZH, pass = v->r.err == HC_OK;
	char l[LINES][600], when[64], safe[4][256];
	const char *lines[LINES];
	size_t n = 0;

	win.block = colours[2];
	if (pass && (unsigned)v->r.c.st < 3)
		win.block = colours[v->r.c.st];
	(void)snprintf(l[n++], sizeof(l[0]), "%s  %s", zh ? "原因" : "Reason",
		       scan_reason_words(hc_reason(v->r.err), s->lang));
	if (v->r.verified) {
		time_t t = (time_t)v->r.c.exp;
		struct tm tm;

		if (!localtime_r(&t, &tm) || strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
			(void)snprintf(when, sizeof(when), "%lld", (long long)v->r.c.exp);
		hc_display_safe(v->r.c.name, safe[0], sizeof(safe[0]));
		hc_display_safe(v->r.c.id, safe[1], sizeof(safe[1]));
		hc_display_safe(v->r.issuer_name, safe[2], sizeof(safe[2]));
		(void)snprintf(l[n++], sizeof(l[0]), "%s  %s", zh ? "姓名" : "Name", safe[0]);
		(void)snprintf(l[n++], sizeof(l[0]), "%s  %s", zh ? "证件号" : "ID", safe[1]);
		(void)snprintf(l[n++], sizeof(l[0]), "%s  %s", zh ? "签发机构" : "Issuer", safe[2]);
		(void)snprintf(l[n++], sizeof(l[0]), "%s  %s", zh ? "有效期至" : "Expires", when);
	}
	if (v->r.stale)
		(void)snprintf(l[n++], sizeof(l[0]), "%s  %s", zh ? "注意" : "Warning",
			       scan_reason_words("stale-trust", s->lang));
	if (s->checkpoint && n < LINES) {
		hc_display_safe(s->checkpoint, safe[3], sizeof(safe[3]));
		(void)snprintf(l[n++], sizeof(l[0]), "%s  %s", zh ? "检查点" : "Checkpoint", safe[3]);
	}
	for (size_t i = 0; i < n; i++)
		lines[i] = l[i];
	set_lines(s, pass ? (zh ? "通过 PASS" : "PASS") : (zh ? "不通过 FAIL" : "FAIL"),
		  v->r.verified ? scan_status_words(v->r.c.st, s->lang) : NULL, lines, n);
	redraw(s);
}

void scan_window_picture(struct scanner *s, const uint8_t *pix, unsigned w, unsigned h,
			 size_t stride)
{
	size_t cw = (w + 1) / 2, need = cw * ((h + 1) / 2);

	if (!win.ren || w > 16384 || h > 16384 || stride > 65536)
		return;
	if (need > win.uvcap) {
		free(win.uv);
		win.uvcap = 0;
		if (!(win.uv = malloc(need)))
			return;
		memset(win.uv, 128, need);
		win.uvcap = need;
	}
	if (!win.pic || win.pw != (int)w || win.ph != (int)h) {
		tex_free(&win.pic);
		if (!(win.pic = F(SDL_CreateTexture)(win.ren, SDL_PIXELFORMAT_IYUV,
						  SDL_TEXTUREACCESS_STREAMING, (int)w, (int)h)))
			return;
		win.pw = (int)w;
		win.ph = (int)h;
	}
	if (F(SDL_UpdateYUVTexture)(win.pic, NULL, pix, (int)stride, win.uv, (int)cw, win.uv,
				 (int)cw) != 0)
		return;
	redraw(s);
}

void scan_window_pump(struct scanner *s)
{
	SDL_Event e;

	while (win.ren && F(SDL_PollEvent)(&e)) {
		if (e.type == SDL_QUIT)
			scan_stop = SIGTERM;
		else if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_EXPOSED)
			redraw(s);
	}
}

void scan_window_stop(struct scanner *s)
{
	(void)s;
	tex_free(&win.pic);
	tex_free(&win.big);
	tex_free(&win.sub);
	for (int i = 0; i < LINES; i++)
		tex_free(&win.line[i]);
	if (win.fbig)
		F(TTF_CloseFont)(win.fbig);
	if (win.fline)
		F(TTF_CloseFont)(win.fline);
	if (win.ren)
		F(SDL_DestroyRenderer)(win.ren);
	if (win.win)
		F(SDL_DestroyWindow)(win.win);
	if (win.ttf)
		F(TTF_Quit)();
	if (win.sdl)
		F(SDL_Quit)();
	free(win.uv);
	memset(&win, 0, sizeof(win));
}

#else

int scan_window_start(struct scanner *s)
{
	(void)s;
	fprintf(stderr, "hc-verify scan: --ui window: built without SDL2 (install libsdl2-dev and "
			"libsdl2-ttf-dev and rebuild)\n");
	return -1;
}

void scan_window_verdict(struct scanner *s, const struct verdict *v)
{
	(void)s;
	(void)v;
}

void scan_window_picture(struct scanner *s, const uint8_t *pix, unsigned w, unsigned h,
			 size_t stride)
{
	(void)s;
	(void)pix;
	(void)w;
	(void)h;
	(void)stride;
}

void scan_window_pump(struct scanner *s)
{
	(void)s;
}

void scan_window_stop(struct scanner *s)
{
	(void)s;
}

#endif
