/* scanner_video.c: hc-verify scan --video FILE: a recorded video decoded
 * with FFmpeg's libraries, each frame scanned in grayscale at its own
 * resolution; the frame clock is the frames' presentation times from
 * the start of the clock (--at, else now). Built without FFmpeg, --video
 * is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hc_image.h"
#include "scanner.h"

#ifdef HC_VIDEO
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/log.h>
#include <libswscale/swscale.h>

struct vid {
	struct scanner *s;
	AVStream *st;
	AVCodecContext *cc;
	AVFrame *fr;
	struct SwsContext *sws;
	uint8_t *gray;
	size_t graycap;
	int64_t t0, first, n;
};

/* One decoded frame: to grayscale, scanned, its codes through the rule. */
static int vid_frame(struct vid *v)
{
	AVFrame *f = v->fr;
	struct hc_scan sc;
	uint8_t *dst[4] = {0};
	int ls[4] = {0}, rc;
	int64_t ms, pts = f->best_effort_timestamp;
	size_t need;
	hc_err err;

	if (f->width <= 0 || f->height <= 0 ||
	    (uint64_t)f->width * (uint64_t)f->height > HC_MAX_IMAGE_PIXELS) {
		fprintf(stderr, "hc-verify scan: video frame of %dx%d pixels\n", f->width, f->height);
		return -1;
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
	if (pts == AV_NOPTS_VALUE) {
		ms = v->n * v->s->period_ms;
	} else {
		if (v->first == AV_NOPTS_VALUE)
			v->first = pts;
		ms = av_rescale_q(pts - v->first, v->st->time_base, (AVRational){1, 1000});
	}
	v->n++;
	err = hc_scan_gray(v->gray, (unsigned)f->width, (unsigned)f->height, &sc);
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

int scan_video(struct scanner *s, const char *path)
{
	AVFormatContext *fc = NULL;
	const AVCodec *codec = NULL;
	AVPacket *pkt = NULL;
	struct vid v = {.s = s, .t0 = s->opts.at * 1000, .first = AV_NOPTS_VALUE};
	AVRational rate;
	char msg[128];
	int si, r, rc = -1;

	av_log_set_level(AV_LOG_ERROR);
	if ((r = avformat_open_input(&fc, path, NULL, NULL)) < 0 ||
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
	free(v.gray);
	return rc;
}

#else

int scan_video(struct scanner *s, const char *path)
{
	(void)s;
	(void)path;
	fprintf(stderr, "hc-verify scan: --video: built without FFmpeg (install libavformat-dev, "
			"libavcodec-dev, libswscale-dev, libavutil-dev and rebuild)\n");
	return -1;
}

#endif
