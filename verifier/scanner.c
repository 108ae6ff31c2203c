/* scanner.c: hc-verify-scan, run by `hc-verify scan`: verifies codes as a
 * checkpoint sees them, from a keyboard-wedge scanner (lines on standard
 * input) or a directory of frames, shows each verdict and appends it to
 * the scan log. A code in view is verified when it comes into view, and
 * again only after it has been out of view for 2 s or in view for 30 s.
 * The trust directory is reloaded when hc-verify sync replaces it. This
 * file: the options and the inputs (standard input, a directory of
 * frames, the camera's check); the verification in scanner_verify.c. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hc_foreign.h"
#include "hc_image.h"
#include "scanner.h"

#define MAX_FRAMES (1u << 20) /* files in a --frames directory */

const char *verifier_prog = "hc-verify scan";
volatile sig_atomic_t scan_stop;

static const char usage_text[] =
	"usage: hc-verify scan --trust DIR [options]\n"
	"                      --stdin | --frames DIR | --video FILE | --camera DEV\n"
	"\n"
	"Verifies health codes continuously at a checkpoint and shows each verdict.\n"
	"A code in view is verified when it comes into view, and again only after\n"
	"it has been out of view for 2 s or in view for 30 s; each code in a frame\n"
	"gets its own verdict. The trust directory is reloaded when `hc-verify sync`\n"
	"replaces it.\n"
	"\n"
	"  --stdin              a keyboard-wedge scanner: one code per line, each\n"
	"                       line verified (a line that is no code fails)\n"
	"  --frames DIR         PNG and JPEG frames (.png, .jpg, .jpeg) in name\n"
	"                       order, taken --fps apart\n"
	"  --fps N              frames a second for --frames (default 10)\n"
	"  --video FILE         a recorded video (any format FFmpeg reads), each\n"
	"                       frame at its presentation time\n"
	"  --camera DEV         a V4L2 camera (/dev/videoN), until a signal\n"
	"  --trust DIR          trust directory (as for hc-verify)\n"
	"  --checkpoint ID      this checkpoint's name, written to the scan log\n"
	"  --log PATH           append each verdict to the scan log PATH; when PATH\n"
	"                       is a directory, to PATH/scan-YYYY-MM-DD.jsonl, one\n"
	"                       file a day (local time of the scan)\n"
	"  --ui terminal        the verdict on the whole terminal (the default on a\n"
	"                       terminal)\n"
	"  --ui json            one JSON line per verdict on standard output (the\n"
	"                       default otherwise)\n"
	"  --ui window          a window (SDL2): the picture, and the verdict beside\n"
	"  --screenshot FILE    with --ui window: the window written to FILE (BMP)\n"
	"                       after every change\n"
	"  --lang zh|en         language of the screen (default: Chinese when\n"
	"                       LC_ALL, LC_MESSAGES or LANG, the first set, starts\n"
	"                       with zh; else English)\n"
	"  --shc-wait SECS      the chunks of a SMART Health Card (shc:/I/N/...) are\n"
	"                       verified together once all N are in view or read,\n"
	"                       one verdict for the card; a set not complete SECS\n"
	"                       after its first chunk fails (default 10)\n"
	"  --raw                print each decoded text, nothing else (no trust)\n"
	"  --at TIME            the clock starts at TIME (default now); frames are\n"
	"                       then 1/fps s apart, lines all at TIME\n"
	"  --skew, --any-status, --require-nat, --require-doses, --grace, --strict\n"
	"                       as for hc-verify\n"
	"  --help               this text\n"
	"\n"
	"Exit status: 0 at the end of the input or on SIGINT, SIGTERM, SIGHUP or\n"
	"SIGQUIT (every verdict shown and logged; the terminal restored), 2 usage,\n"
	"I/O or configuration error.\n";

void verifier_err(const char *what, hc_err err)
{
	char d[512], w[512];

	hc_display_safe(hc_detail(), d, sizeof(d));
	hc_display_safe(what, w, sizeof(w));
	fprintf(stderr, "%s: %s: %s%s%s\n", verifier_prog, w, hc_strerror(err), d[0] ? ": " : "", d);
}

static void on_signal(int sig)
{
	scan_stop = sig;
}

/* ---- inputs ---- */

static int input_stdin(struct scanner *s)
{
	static char buf[1 << 16];
	char *line;
	size_t n = 0, cap = HC_MAX_DCC_TEXT + 2; /* an HC1: text is the longest */
	bool over = false;

	if (!(line = malloc(cap)))
		return -1;
	while (!scan_stop) {
		struct pollfd p = {.fd = 0, .events = POLLIN};
		ssize_t got;
		int r = poll(&p, 1, s->ui == UI_WINDOW ? 50 : 1000);

		scan_ui_tick(s);

		if (r < 0 && errno != EINTR) {
			fprintf(stderr, "hc-verify scan: poll: %s\n", strerror(errno));
			break;
		}
		if (scan_log_tick(&s->log) != 0)
			break;
		scan_clock_ms = scan_mono_ms();
		if (scan_set_tick(s) != 0)
			goto fail;
		if (r <= 0)
			continue;
		if ((got = read(0, buf, sizeof(buf))) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "hc-verify scan: standard input: %s\n", strerror(errno));
			break;
		}
		/* At the end of input the last line counts without its newline. */
		for (ssize_t i = 0; i <= got; i++) {
			if (i < got && buf[i] != '\n') {
				if (n < cap)
					line[n++] = buf[i];
				else
					over = true;
				continue;
			}
			if (i == got && got > 0)
				break;
			if (n > 0 && line[n - 1] == '\r')
				n--;
			if ((n > 0 || over) && scan_verdict(s, s->at_given ? s->opts.at : hc_now(),
			                                    line, over ? cap + 1 : n) != 0)
				goto fail;
			n = 0;
			over = false;
		}
		if (got == 0) {
			free(line);
			return 0;
		}
	}
	if (scan_stop) {
		free(line);
		return 0;
	}
fail:
	free(line);
	return -1;
}

static bool frame_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot &&
	       (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
		strcasecmp(dot, ".jpeg") == 0);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int input_frames(struct scanner *s, const char *dir, int64_t fps)
{
	char **names = NULL, path[4096];
	size_t n = 0, cap = 0, i;
	int64_t t0 = s->opts.at * 1000;
	struct hc_scanner *scanner = NULL;
	struct dirent *de;
	hc_err err;
	DIR *d;
	int rc = -1;

	if (!(d = opendir(dir))) {
		fprintf(stderr, "hc-verify scan: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (!frame_name(de->d_name))
			continue;
		if (n == MAX_FRAMES) {
			fprintf(stderr, "hc-verify scan: %s: more than %u frames\n", dir, MAX_FRAMES);
			goto out;
		}
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 256) * sizeof(*names));

			if (!nn)
				goto oom;
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name)))
			goto oom;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_name);
	if ((err = hc_scanner_new(&scanner)) != HC_OK) {
		verifier_err("frames", err);
		goto out;
	}
	s->period_ms = 1000 / fps;
	for (i = 0; i < n && !scan_stop; i++) {
		struct hc_scan sc;
		int64_t t = t0 + (int64_t)i * 1000 / fps;

		if (hc_path(path, sizeof(path), "%s/%s", dir, names[i]) != HC_OK)
			continue;
		hc_set_detail(NULL);
		if ((err = hc_scanner_file(scanner, path, &sc)) != HC_OK && err != HC_ERR_NO_QR) {
			/* a frame that cannot be read is a frame without codes */
			verifier_err(path, err);
		}
		rc = scan_frame(s, t, &sc);
		hc_scan_clear(&sc);
		if (rc != 0)
			goto out;
	}
	rc = 0;
	goto out;
oom:
	fprintf(stderr, "hc-verify scan: out of memory\n");
out:
	hc_scanner_free(scanner);
	(void)closedir(d);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---- the camera and the build with FFmpeg and SDL2 ---- */

/* dev is a V4L2 device that captures video; else the reason, printed. */
static int camera_check(const char *dev)
{
	struct v4l2_capability cap;
	struct stat st;
	uint32_t caps;
	int fd;

	if (stat(dev, &st) != 0) {
		fprintf(stderr, "hc-verify scan: --camera %s: %s\n", dev, strerror(errno));
		return -1;
	}
	if (!S_ISCHR(st.st_mode)) {
		fprintf(stderr, "hc-verify scan: --camera %s: not a video device (not a character "
				"device)\n", dev);
		return -1;
	}
	if ((fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0) {
		fprintf(stderr, "hc-verify scan: --camera %s: %s\n", dev, strerror(errno));
		return -1;
	}
	memset(&cap, 0, sizeof(cap));
	if (ioctl(fd, VIDIOC_QUERYCAP, &cap) != 0) {
		fprintf(stderr, "hc-verify scan: --camera %s: not a video device (%s)\n", dev,
			strerror(errno));
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	caps = (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
	if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) {
		fprintf(stderr, "hc-verify scan: --camera %s: a video device that does not capture\n",
			dev);
		return -1;
	}
	return 0;
}

#ifndef HC_AV
/* --video, --camera and --ui window: hc-verify-scan-av, from this
 * program's directory, with the same arguments (as getopt left them). */
static int exec_av(int argc, char **argv, const char *why)
{
	char self[4096], path[4096 + 32], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)argc;
	if (n <= 0) {
		fprintf(stderr, "hc-verify scan: cannot find this program: %s\n", strerror(errno));
		return EXIT_USAGE;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	(void)snprintf(path, sizeof(path), "%s/hc-verify-scan-av", self);
	argv[0] = path;
	(void)fflush(stdout);
	(void)execv(path, argv);
	fprintf(stderr, "hc-verify scan: %s needs %s (built with FFmpeg and SDL2): %s\n", why, path,
		strerror(errno));
	return EXIT_USAGE;
}
#endif

/* ---- options ---- */

/* A checkpoint name: 1 to 64 bytes of printable ASCII. */
static bool checkpoint_ok(const char *c)
{
	size_t n = strlen(c);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (c[i] < 0x20 || c[i] >= 0x7f)
			return false;
	return true;
}

static enum scan_lang locale_lang(void)
{
	static const char *const vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && v[0])
			return strncmp(v, "zh", 2) == 0 ? LANG_ZH : LANG_EN;
	}
	return LANG_EN;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"trust", required_argument, NULL, 't'},
		{"checkpoint", required_argument, NULL, 'c'},
		{"log", required_argument, NULL, 'l'},
		{"ui", required_argument, NULL, 'u'},
		{"lang", required_argument, NULL, 'L'},
		{"raw", no_argument, NULL, 'r'},
		{"stdin", no_argument, NULL, 'i'},
		{"frames", required_argument, NULL, 'f'},
		{"fps", required_argument, NULL, 'F'},
		{"video", required_argument, NULL, 'V'},
		{"camera", required_argument, NULL, 'C'},
		{"screenshot", required_argument, NULL, 'P'},
		{"shc-wait", required_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		VERIFY_OPTIONS,
		{NULL, 0, NULL, 0},
	};
	static struct scanner s; /* large: the seen table */
	const char *frames = NULL, *video = NULL, *camera = NULL, *log = NULL, *ui = NULL;
	const char *lang = NULL;
	unsigned char seen[256] = {0};
	struct sigaction sa;
	int64_t fps = 10;
	bool in_stdin = false;
	int c, rc = EXIT_USAGE;
	hc_err err;

	hc_verify_opts_init(&s.opts);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		int vo;

		if (c != '?' && seen[c]++) {
			fprintf(stderr, "hc-verify scan: option given twice\n");
			return EXIT_USAGE;
		}
		if ((vo = verify_option(c, optarg, &s.opts)) != 0) {
			if (vo < 0)
				return EXIT_USAGE;
			s.at_given |= c == 'a';
			continue;
		}
		switch (c) {
		case 't': s.trust_dir = optarg; break;
		case 'c': s.checkpoint = optarg; break;
		case 'l': log = optarg; break;
		case 'u': ui = optarg; break;
		case 'L': lang = optarg; break;
		case 'r': s.raw = true; break;
		case 'i': in_stdin = true; break;
		case 'f': frames = optarg; break;
		case 'V': video = optarg; break;
		case 'C': camera = optarg; break;
		case 'P': s.screenshot = optarg; break;
		case 'F':
			if (!parse_count(optarg, 1000, &fps) || fps == 0) {
				fprintf(stderr, "hc-verify scan: --fps: 1 to 1000\n");
				return EXIT_USAGE;
			}
			break;
		case 'W':
			if (!parse_count(optarg, 600, &scan_shc_wait_ms) || scan_shc_wait_ms == 0) {
				fprintf(stderr, "hc-verify scan: --shc-wait: 1 to 600 seconds\n");
				return EXIT_USAGE;
			}
			scan_shc_wait_ms *= 1000;
			break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: fputs(usage_text, stderr); return EXIT_USAGE;
		}
	}
	if (optind != argc ||
	    (int)in_stdin + (frames != NULL) + (video != NULL) + (camera != NULL) != 1 ||
	    (!s.trust_dir && !s.raw)) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (s.checkpoint && !checkpoint_ok(s.checkpoint)) {
		fprintf(stderr, "hc-verify scan: --checkpoint: 1 to 64 printable characters\n");
		return EXIT_USAGE;
	}
	if (!ui) {
		s.ui = isatty(STDOUT_FILENO) && !s.raw ? UI_TERMINAL : UI_JSON;
	} else if (strcmp(ui, "json") == 0 || strcmp(ui, "terminal") == 0 ||
		   strcmp(ui, "window") == 0) {
		s.ui = ui[0] == 't' ? UI_TERMINAL : ui[0] == 'w' ? UI_WINDOW : UI_JSON;
	} else {
		fprintf(stderr, "hc-verify scan: --ui: json, terminal or window\n");
		return EXIT_USAGE;
	}
	if (s.screenshot && s.ui != UI_WINDOW) {
		fprintf(stderr, "hc-verify scan: --screenshot needs --ui window\n");
		return EXIT_USAGE;
	}
	if (s.raw && s.ui != UI_JSON) {
		fprintf(stderr, "hc-verify scan: --raw prints texts, not a screen\n");
		return EXIT_USAGE;
	}
	if (!lang) {
		s.lang = locale_lang();
	} else if (strcmp(lang, "zh") == 0 || strcmp(lang, "en") == 0) {
		s.lang = lang[0] == 'z' ? LANG_ZH : LANG_EN;
	} else {
		fprintf(stderr, "hc-verify scan: --lang: zh or en\n");
		return EXIT_USAGE;
	}
	if (camera && camera_check(camera) != 0)
		return EXIT_USAGE;
#ifndef HC_AV
	if (video || camera || s.ui == UI_WINDOW)
		return exec_av(argc, argv, video ? "--video" : camera ? "--camera" : "--ui window");
#endif
	if (!s.raw && (err = scan_trust_load(&s)) != HC_OK) {
		verifier_err(s.trust_dir, err);
		return EXIT_USAGE;
	}
	s.trust_checked_ms = scan_mono_ms();
	if (!s.raw && scan_log_open(&s.log, log) != 0)
		goto out;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll and read return */
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGQUIT, &sa, NULL);
	if (scan_ui_start(&s) != 0) {
		scan_ui_stop(&s);
		goto out;
	}
	if (in_stdin)
		rc = input_stdin(&s);
	else if (frames)
		rc = input_frames(&s, frames, fps);
	else
		rc = scan_video(&s, video ? video : camera, camera != NULL);
	if (rc == 0 && !s.raw)
		rc = scan_set_flush(&s); /* the end of the input: a set held gets its verdict */
	rc = rc == 0 ? 0 : EXIT_USAGE;
	scan_ui_stop(&s);
out:
	if (scan_log_close(&s.log) != 0)
		rc = EXIT_USAGE;
	hc_trust_free(s.trust);
	return hc_stdout_status("hc-verify scan", rc);
}
