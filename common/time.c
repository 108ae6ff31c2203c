/* time.c: parsing of times (epoch seconds, RFC 3339, dates) and durations. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hc.h"

#define CST_OFFSET ((int64_t)8 * 3600) /* China Standard Time, UTC+08:00 */
/* Times are accepted between 1970 and 9999. */
#define TIME_MAX 253402300799LL

static bool digits(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool parse_date(const char *s, int64_t *days)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t y, m, d;

	if (s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
	    !digits(s + 8, 2, &d))
		return false;
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return false;
	if (d > mdays[m - 1] + (m == 2 && leap(y)))
		return false;
	*days = days_from_civil(y, m, d);
	return true;
}

hc_err hc_time_parse(const char *s, int64_t *out)
{
	size_t n = strlen(s);
	int64_t t;

	if (n > 0 && strspn(s, "0123456789") == n) {
		if (n > 12 || !digits(s, n, &t) || t > TIME_MAX)
			return HC_ERR_TIME;
		*out = t;
		return HC_OK;
	}
	return hc_time_parse_text(s, out);
}

hc_err hc_time_parse_text(const char *s, int64_t *out)
{
	size_t n = strlen(s);
	int64_t days, hh, mm, ss, oh, om, t, off = 0;
	const char *z;

	/* A string of digits is never a date here: "20261119" is not read
	 * as seconds (1970) nor "1795392000" as a day. */
	if (n < 10 || n > 40 || !parse_date(s, &days))
		return HC_ERR_TIME;
	if (n == 10) {
		t = days * 86400 - CST_OFFSET;
		if (t < 0)
			return HC_ERR_TIME; /* 1970-01-01 in CST began before 1970 UTC */
		*out = t;
		return HC_OK;
	}
	/* RFC 3339: date "T" hh:mm:ss [.frac] (Z | +hh:mm | -hh:mm) */
	if (n < 20 || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' ||
	    !digits(s + 11, 2, &hh) || !digits(s + 14, 2, &mm) || !digits(s + 17, 2, &ss))
		return HC_ERR_TIME;
	if (hh > 23 || mm > 59 || ss > 60)
		return HC_ERR_TIME;
	z = s + 19;
	if (*z == '.') { /* fractions are truncated */
		size_t f = strspn(z + 1, "0123456789");
		if (f == 0 || f > 9)
			return HC_ERR_TIME;
		z += 1 + f;
	}
	if ((z[0] == 'Z' || z[0] == 'z') && z[1] == '\0') {
		off = 0;
	} else if ((z[0] == '+' || z[0] == '-') && strlen(z) == 6 && z[3] == ':' &&
		   digits(z + 1, 2, &oh) && digits(z + 4, 2, &om) && oh <= 23 && om <= 59) {
		off = (oh * 3600 + om * 60) * (z[0] == '-' ? -1 : 1);
	} else {
		return HC_ERR_TIME;
	}
	if (ss == 60)
		ss = 59; /* a leap second is read as the second before it */
	t = days * 86400 + hh * 3600 + mm * 60 + ss - off;
	if (t < 0 || t > TIME_MAX)
		return HC_ERR_TIME;
	*out = t;
	return HC_OK;
}

hc_err hc_duration_parse(const char *s, int64_t *out)
{
	size_t n = strlen(s), nd = strspn(s, "0123456789");
	int64_t v, mul = 1;

	if (nd == 0 || nd > 9 || n > nd + 1)
		return HC_ERR_TIME;
	if (n == nd + 1) {
		switch (s[nd]) {
		case 's': mul = 1; break;
		case 'm': mul = 60; break;
		case 'h': mul = 3600; break;
		case 'd': mul = 86400; break;
		default: return HC_ERR_TIME;
		}
	}
	if (!digits(s, nd, &v) || v == 0 || v * mul > 366LL * 86400)
		return HC_ERR_TIME;
	*out = v * mul;
	return HC_OK;
}

void hc_time_format(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (!gmtime_r(&tt, &tm) || strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		(void)snprintf(buf, n, "%lld", (long long)t);
}

int64_t hc_now(void)
{
	return (int64_t)time(NULL);
}

uint64_t hc_mono_us(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}
