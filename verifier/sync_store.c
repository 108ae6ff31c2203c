/* sync_store.c: the on-disk side of hc-verify sync: the per-directory lock,
 * trust-data generations switched by one rename, and the durable rollback
 * baselines (DESIGN 6a). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hc_json.h"
#include "sync_int.h"

#define LOCK_FILE "sync.lock"
#define BASELINE_FILE "baseline.json"

void sync_crash_point(const char *name)
{
	const char *at = getenv("HC_TEST_CRASH_AT");

	if (at && strcmp(at, name) == 0)
		(void)raise(SIGKILL);
}

static hc_err io_err(const char *path)
{
	hc_set_detail("%s: %s", path, strerror(errno));
	return HC_ERR_IO;
}

static hc_err fsync_path(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd == -1 || (fsync(fd) == -1 && errno != EINVAL)) {
		hc_err err = io_err(path);

		if (fd != -1)
			close(fd);
		return err;
	}
	close(fd);
	return HC_OK;
}

hc_err sync_lock(const char *dir, long wait, int *fdp)
{
	char path[4096];
	struct timespec nap = {0, 50L * 1000 * 1000};
	long tries = wait * 20;
	int fd;

	*fdp = -1;
	if (hc_path(path, sizeof(path), "%s/" LOCK_FILE, dir) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644)) == -1)
		return io_err(path);
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if ((errno != EWOULDBLOCK && errno != EINTR) || tries-- <= 0) {
			if (errno == EWOULDBLOCK)
				hc_set_detail("another hc-verify sync holds %s; gave up after %ld s "
					      "(--wait)",
					      path, wait);
			else
				(void)io_err(path);
			close(fd);
			return HC_ERR_IO;
		}
		(void)nanosleep(&nap, NULL);
	}
	*fdp = fd;
	return HC_OK;
}

/* ---- generations: DIR/gen/N, DIR/current -> gen/N ---- */

/* N of "gen/N" in DIR/current, 0 when there is no link. */
static hc_err current_gen(const char *dir, unsigned long long *n)
{
	char data[4096];
	const char *p;
	hc_err err;

	*n = 0;
	if ((err = hc_trust_data_dir(dir, data, sizeof(data))) != HC_OK)
		return err;
	if (strcmp(data, dir) == 0)
		return HC_OK;
	p = data + strlen(dir) + strlen("/gen/");
	*n = strtoull(p, NULL, 10);
	return HC_OK;
}

/* Removes PATH: a file, or a directory and the files in it; with deep,
 * also the directories in it and their files (a generation is two levels
 * deep). As far as it can: what is left goes at the next sync. */
static void remove_path(const char *path, bool deep)
{
	struct dirent *de;
	DIR *d = opendir(path);

	if (!d) {
		(void)unlink(path);
		return;
	}
	while ((de = readdir(d))) {
		char sub[4096];
		DIR *sd;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    hc_path(sub, sizeof(sub), "%s/%s", path, de->d_name) != HC_OK)
			continue;
		if (deep && (sd = opendir(sub))) {
			struct dirent *se;

			while ((se = readdir(sd))) {
				char f[4096];

				if (strcmp(se->d_name, ".") != 0 && strcmp(se->d_name, "..") != 0 &&
				    hc_path(f, sizeof(f), "%s/%s", sub, se->d_name) == HC_OK)
					(void)unlink(f);
			}
			closedir(sd);
			(void)rmdir(sub);
		} else {
			(void)unlink(sub);
		}
	}
	closedir(d);
	(void)rmdir(path);
}

/* Removes every entry of DIR/gen but the current generation: the older
 * ones, and generations staged by a run that did not finish. */
static void remove_other_gens(const char *dir, unsigned long long keep)
{
	char path[4096], name[32];
	struct dirent *de;
	DIR *d;

	(void)snprintf(name, sizeof(name), "%llu", keep);
	if (hc_path(path, sizeof(path), "%s/gen", dir) != HC_OK || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char sub[4096];

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    (keep && strcmp(de->d_name, name) == 0) ||
		    hc_path(sub, sizeof(sub), "%s/gen/%s", dir, de->d_name) != HC_OK)
			continue;
		remove_path(sub, true);
		sync_crash_point("cleanup-one");
	}
	closedir(d);
}

hc_err sync_gen_begin(const char *dir, struct sync_gen *g)
{
	char path[4096];
	unsigned long long top = 0;
	struct dirent *de;
	DIR *d;
	hc_err err;

	memset(g, 0, sizeof(*g));
	if ((err = current_gen(dir, &g->old)) != HC_OK)
		return err;
	remove_other_gens(dir, g->old);
	if (hc_path(path, sizeof(path), "%s/gen", dir) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return io_err(path);
	if ((d = opendir(path))) {
		while ((de = readdir(d)))
			if (strtoull(de->d_name, NULL, 10) > top)
				top = strtoull(de->d_name, NULL, 10);
		closedir(d);
	}
	g->n = (top > g->old ? top : g->old) + 1;
	if (hc_path(g->path, sizeof(g->path), "%s/gen/%llu", dir, g->n) != HC_OK ||
	    hc_path(path, sizeof(path), "%s/revocations", g->path) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if (mkdir(g->path, 0755) == -1) {
		err = io_err(g->path);
		g->path[0] = '\0'; /* not ours to remove */
		return err;
	}
	if (mkdir(path, 0755) == -1)
		return io_err(path);
	return HC_OK;
}

hc_err sync_gen_put(const struct sync_gen *g, const char *rel, const uint8_t *body, size_t len,
		    const char *from)
{
	char path[4096], src[4200], dst[4200];

	if (hc_path(path, sizeof(path), "%s/%s", g->path, rel) != HC_OK)
		return HC_ERR_INVALID_ARG;
	/* Files are never changed in place, so an unchanged one is shared
	 * with the generation it comes from (and so is its index). */
	if (from && link(from, path) == 0) {
		(void)snprintf(src, sizeof(src), "%s.idx", from);
		(void)snprintf(dst, sizeof(dst), "%s.idx", path);
		if (link(src, dst) == -1)
			hc_set_detail(NULL); /* the index is a cache: loading rebuilds it */
		return HC_OK;
	}
	return hc_write_file_atomic(path, body, len, 0644);
}

hc_err sync_gen_switch(const char *dir, const struct sync_gen *g)
{
	char path[4096], tmp[4096], target[64];
	hc_err err;

	sync_crash_point("staged");
	if (hc_path(path, sizeof(path), "%s/revocations", g->path) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if ((err = fsync_path(path)) != HC_OK || (err = fsync_path(g->path)) != HC_OK ||
	    hc_path(path, sizeof(path), "%s/gen", dir) != HC_OK || (err = fsync_path(path)) != HC_OK)
		return err;
	sync_crash_point("staged-synced");
	(void)snprintf(target, sizeof(target), "gen/%llu", g->n);
	if (hc_path(path, sizeof(path), "%s/current", dir) != HC_OK ||
	    hc_path(tmp, sizeof(tmp), "%s/current.tmp", dir) != HC_OK)
		return HC_ERR_INVALID_ARG;
	(void)unlink(tmp);
	if (symlink(target, tmp) == -1)
		return io_err(tmp);
	sync_crash_point("link-made");
	if (rename(tmp, path) == -1) {
		err = io_err(path);
		(void)unlink(tmp);
		return err;
	}
	sync_crash_point("link-renamed");
	if ((err = fsync_path(dir)) != HC_OK)
		return err;
	sync_crash_point("switched");
	return HC_OK;
}

void sync_gen_cleanup(const char *dir, const struct sync_gen *g)
{
	char path[4096];

	remove_other_gens(dir, g->n);
	/* A directory laid out by hand keeps its files at the top until its
	 * first generation is current: then they are no longer read. */
	if (hc_path(path, sizeof(path), "%s/trustlist.jws", dir) == HC_OK)
		(void)unlink(path);
	if (hc_path(path, sizeof(path), "%s/revocations", dir) == HC_OK)
		remove_path(path, false);
	sync_crash_point("cleaned");
}

void sync_gen_tidy(const char *dir)
{
	unsigned long long n;

	if (current_gen(dir, &n) == HC_OK && n) {
		struct sync_gen g;

		memset(&g, 0, sizeof(g));
		g.old = g.n = n;
		sync_gen_cleanup(dir, &g);
	}
}

void sync_gen_abandon(const struct sync_gen *g)
{
	if (g->path[0])
		remove_path(g->path, true);
}

/* ---- durable baselines: DIR/baseline.json ---- */

hc_err sync_baseline_read(const char *dir, cJSON **out)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t len;
	hc_err err;

	*out = NULL;
	if (hc_path(path, sizeof(path), "%s/" BASELINE_FILE, dir) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if ((err = hc_read_file(path, HC_MAX_JSON_FILE, &buf, &len)) != HC_OK) {
		if (err == HC_ERR_IO && errno == ENOENT) {
			hc_set_detail(NULL);
			return (*out = cJSON_CreateObject()) ? HC_OK : HC_ERR_NOMEM;
		}
		return err;
	}
	err = hc_json_parse((const char *)buf, len, out);
	free(buf);
	if (err == HC_OK && !cJSON_IsObject(*out))
		err = HC_ERR_JSON_TYPE;
	if (err != HC_OK) {
		cJSON_Delete(*out);
		*out = NULL;
		hc_set_detail("%s is damaged (%s): remove it only if the device may accept any "
			      "state the server offers",
			      path, hc_strerror(err));
		return HC_ERR_TRUST_DIR;
	}
	return HC_OK;
}

hc_err sync_baseline_write(const char *dir, const cJSON *b)
{
	char path[4096], *txt;
	hc_err err;

	if (hc_path(path, sizeof(path), "%s/" BASELINE_FILE, dir) != HC_OK)
		return HC_ERR_INVALID_ARG;
	if (!(txt = cJSON_Print(b)))
		return HC_ERR_NOMEM;
	sync_crash_point("baseline-before");
	err = hc_write_file_atomic(path, txt, strlen(txt), 0644);
	free(txt);
	sync_crash_point("baseline-after");
	return err;
}

bool sync_baseline_get(const cJSON *b, const char *group, const char *key, int64_t *seq,
		       char sha[65])
{
	const cJSON *g = group ? cJSON_GetObjectItemCaseSensitive(b, group) : b;
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(g, key), *s, *h;

	*seq = 0;
	if (sha)
		sha[0] = '\0';
	s = cJSON_GetObjectItemCaseSensitive(e, "seq");
	h = cJSON_GetObjectItemCaseSensitive(e, "sha256");
	if (!cJSON_IsNumber(s) || s->valuedouble < 1 || s->valuedouble > 9007199254740991.0)
		return false;
	*seq = (int64_t)s->valuedouble;
	if (sha && cJSON_IsString(h) && strlen(h->valuestring) == 64)
		memcpy(sha, h->valuestring, 65);
	return true;
}

hc_err sync_baseline_raise(cJSON *b, const char *group, const char *key, int64_t seq,
			   const char *sha)
{
	cJSON *g, *e;
	int64_t old;

	if (sync_baseline_get(b, group, key, &old, NULL) && old > seq)
		return HC_OK; /* only ever raised */
	g = group ? cJSON_GetObjectItemCaseSensitive(b, group) : b;
	if (!g && !(g = cJSON_AddObjectToObject(b, group)))
		return HC_ERR_NOMEM;
	cJSON_DeleteItemFromObjectCaseSensitive(g, key);
	if (!(e = cJSON_AddObjectToObject(g, key)) ||
	    !cJSON_AddNumberToObject(e, "seq", (double)seq) ||
	    (sha && !cJSON_AddStringToObject(e, "sha256", sha)))
		return HC_ERR_NOMEM;
	return HC_OK;
}
