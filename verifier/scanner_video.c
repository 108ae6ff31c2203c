/* scanner_video.c: hc-verify scan --video FILE and --camera DEV: a
 * recorded video decoded with FFmpeg's libraries, or a V4L2 camera read
 * with libavdevice, each frame scanned in grayscale (the decoder's Y
 * plane) at its own resolution; the frame clock is the frames'
 * presentation times (a video) or the time elapsed (a camera) from the
 * start of the clock (--at, else now). Only hc-verify-scan-av is built
 * with FFmpeg (HC_AV). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_image.h"
#include "scanner.h"

#ifdef HC_AV
#include <dlfcn.h>

#include <libavcodec/avcodec.h>
#include <libavdevice/avdevice.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libavutil/macros.h>
#include <libswscale/swscale.h>

/* libavdevice, and the SDL2 that it pulls in for an output device, are
 * opened for --camera only (dlopen, as common/dl.c opens zbar): --video
 * loads neither. 0, or -1 with the reason on standard error. */
static int avdevice_load(void)
{
	static const char so[] = "libavdevice.so." AV_STRINGIFY(LIBAVDEVICE_VERSION_MAJOR);
	__typeof__(avdevice_register_all) *reg = NULL;
	static void *h; /* open for good: the devices stay registered */
	const char *e;

	(void)dlerror();
	if (!h)
		h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (h)
		*(void **)&reg = dlsym(h, "avdevice_register_all");
	if (!reg) {
		e = dlerror();
		fprintf(stderr, "hc-verify scan: --camera: %s\n", e ? e : so);
		return -1;
	}
	reg();
	return 0;
}

struct vid {
	struct scanner *s;
	AVStream *st;
	AVCodecContext *cc;
	AVFrame *fr;
	struct SwsContext *sws;
	struct hc_scanner *scanner;
	uint8_t *gray;
	size_t graycap;
	int64_t t0, first, n, mono0;
	bool live; /* a camera: the clock is the time elapsed */
};

/* Formats whose first plane is the picture in 8-bit gray (luma). */
static bool luma_first(int fmt)
{
	switch (fmt) {
	case AV_PIX_FMT_GRAY8:
	case AV_PIX_FMT_YUV420P:
	case AV_PIX_FMT_YUVJ420P:
	case AV_PIX_FMT_YUV422P:
	case AV_PIX_FMT_YUVJ422P:
	case AV_PIX_FMT_YUV444P:
	case AV_PIX_FMT_YUVJ444P:
	case AV_PIX_FMT_YUV440P:
	case AV_PIX_FMT_YUVJ440P:
	case AV_PIX_FMT_YUV411P:
	case AV_PIX_FMT_YUV410P:
	case AV_PIX_FMT_NV12:
	case AV_PIX_FMT_NV21:
	case AV_PIX_FMT_NV16:
		return true;
	default:
		return false;
	}
}

/* The frame in 8-bit gray: the decoder's Y plane as it is when the format
 * has one, else converted. */
static int vid_gray(struct vid *v, const uint8_t **pix, size_t *stride)
{
	AVFrame *f = v->fr;
	uint8_t *dst[4] = {0};
	int ls[4] = {0};
	size_t need;

	if (luma_first(f->format) && f->data[0] && f->linesize[0] >= f->width) {
		*pix = f->data[0];
		*stride = (size_t)f->linesize[0];
		return 0;
	}
	need = (size_t)f->width * (size_t)f->height;
	if (need > v->graycap) {
		free(v->gray);
		if (!(v->gray = malloc(need))) {
			v->graycap = 0;
			fprintf(stderr, "hc-verify scan: out of memory\n");
			return -1;
		}
		v->graycap = need;
	}
	v->sws = sws_getCachedContext(v->sws, f->width, f->height, f->format, f->width, f->height,
				      AV_PIX_FMT_GRAY8, SWS_POINT, NULL, NULL, NULL);
	dst[0] = v->gray;
	ls[0] = f->width;
	if (!v->sws || sws_scale(v->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
				 dst, ls) != f->height) {
		fprintf(stderr, "hc-verify scan: video frame %lld: cannot convert\n", (long long)v->n);
		return -1;
	}
	*pix = v->gray;
	*stride = (size_t)f->width;
	return 0;
}

/* One decoded frame: in grayscale, scanned, its codes through the rule. */
static int vid_frame(struct vid *v)
{
	AVFrame *f = v->fr;
	struct hc_scan sc;
	const uint8_t *pix;
	size_t stride;
	int rc;
	int64_t ms, pts = f->best_effort_timestamp;
	hc_err err;

	if (f->width <= 0 || f->height <= 0 ||
	    (uint64_t)f->width * (uint64_t)f->height > HC_MAX_IMAGE_PIXELS) {
		fprintf(stderr, "hc-verify scan: video frame of %dx%d pixels\n", f->width, f->height);
		return -1;
	}
	if (vid_gray(v, &pix, &stride) != 0)
		return -1;
	scan_ui_picture(v->s, pix, (unsigned)f->width, (unsigned)f->height, stride);
	if (v->live) {
		ms = scan_mono_ms() - v->mono0;
	} else if (pts == AV_NOPTS_VALUE) {
		ms = v->n * v->s->period_ms;
	} else {
		if (v->first == AV_NOPTS_VALUE)
			v->first = pts;
		ms = av_rescale_q(pts - v->first, v->st->time_base, (AVRational){1, 1000});
	}
	v->n++;
	err = hc_scanner_gray(v->scanner, pix, (unsigned)f->width, (unsigned)f->height, stride, &sc);
	if (err != HC_OK && err != HC_ERR_NO_QR)
		verifier_err("video frame", err);
	rc = scan_frame(v->s, v->t0 + ms, &sc);
	hc_scan_clear(&sc);
	return rc;
}

static int vid_drain(struct vid *v)
{
	int r;

	while ((r = avcodec_receive_frame(v->cc, v->fr)) == 0) {
		int rc = vid_frame(v);

		av_frame_unref(v->fr);
		if (rc != 0)
			return -1;
	}
	return r == AVERROR(EAGAIN) || r == AVERROR_EOF ? 0 : -1;
}

int scan_video(struct scanner *s, const char *path, bool camera)
{
	const AVInputFormat *in = NULL;
	AVFormatContext *fc = NULL;
	const AVCodec *codec = NULL;
	AVPacket *pkt = NULL;
	struct vid v = {.s = s, .t0 = s->opts.at * 1000, .first = AV_NOPTS_VALUE, .live = camera};
	AVRational rate;
	char msg[128];
	int si, r, rc = -1;
	hc_err err;

	av_log_set_level(AV_LOG_ERROR);
	if (camera) {
		if (avdevice_load() != 0)
			return -1;
		if (!(in = av_find_input_format("video4linux2"))) {
			fprintf(stderr, "hc-verify scan: --camera: FFmpeg has no V4L2 input\n");
			return -1;
		}
	}
	v.mono0 = scan_mono_ms();
	if ((r = avformat_open_input(&fc, path, in, NULL)) < 0 ||
	    (r = avformat_find_stream_info(fc, NULL)) < 0 ||
	    (r = si = av_find_best_stream(fc, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)) < 0) {
		av_strerror(r, msg, sizeof(msg));
		fprintf(stderr, "hc-verify scan: %s: %s\n", path, msg);
		goto out;
	}
	v.st = fc->streams[si];
	if (!(v.cc = avcodec_alloc_context3(codec)) || !(v.fr = av_frame_alloc()) ||
	    !(pkt = av_packet_alloc()) ||
	    avcodec_parameters_to_context(v.cc, v.st->codecpar) < 0) {
		fprintf(stderr, "hc-verify scan: out of memory\n");
		goto out;
	}
	if ((err = hc_scanner_new(&v.scanner)) != HC_OK) {
		verifier_err("video", err);
		goto out;
	}
	v.cc->thread_count = 1;
	if ((r = avcodec_open2(v.cc, codec, NULL)) < 0) {
		av_strerror(r, msg, sizeof(msg));
		fprintf(stderr, "hc-verify scan: %s: %s\n", path, msg);
		goto out;
	}
	rate = av_guess_frame_rate(fc, v.st, NULL);
	s->period_ms = rate.num > 0 && rate.den > 0 ? (int64_t)rate.den * 1000 / rate.num : 100;
	if (s->period_ms <= 0)
		s->period_ms = 1;
	while (!scan_stop && (r = av_read_frame(fc, pkt)) >= 0) {
		if (pkt->stream_index == si && (avcodec_send_packet(v.cc, pkt) < 0 || vid_drain(&v) != 0)) {
			av_packet_unref(pkt);
			fprintf(stderr, "hc-verify scan: %s: damaged video\n", path);
			goto out;
		}
		av_packet_unref(pkt);
	}
	if (!scan_stop && r != AVERROR_EOF) {
		av_strerror(r, msg, sizeof(msg));
		fprintf(stderr, "hc-verify scan: %s: %s\n", path, msg);
		goto out;
	}
	if (!scan_stop && (avcodec_send_packet(v.cc, NULL) < 0 || vid_drain(&v) != 0)) {
		fprintf(stderr, "hc-verify scan: %s: damaged video\n", path);
		goto out;
	}
	rc = 0;
out:
	av_packet_free(&pkt);
	av_frame_free(&v.fr);
	avcodec_free_context(&v.cc);
	avformat_close_input(&fc);
	sws_freeContext(v.sws);
	hc_scanner_free(v.scanner);
	free(v.gray);
	return rc;
}

#else

int scan_video(struct scanner *s, const char *path, bool camera)
{
	(void)s;
	(void)path;
	fprintf(stderr, "hc-verify scan: %s: built without FFmpeg (install libavdevice-dev, "
			"libavformat-dev, libavcodec-dev, libswscale-dev, libavutil-dev and rebuild)\n",
		camera ? "--camera" : "--video");
	return -1;
}

#endif
