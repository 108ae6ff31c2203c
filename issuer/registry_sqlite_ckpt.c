/* registry_sqlite_ckpt.c: the registry's checkpoints: the WAL hook that
 * counts what each commit appended and asks for them, and the checkpointer
 * thread that copies the WAL into the database beside the writer
 * (registry_sqlite_writer.c). */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "registry_sqlite.h"

/* The checkpointer copies the WAL into the database after every
 * WAL_CHECKPOINT frames (pages) the commits appended, and again as the
 * WAL nears WAL_LIMIT, until the writer can copy the rest (WAL_CATCHUP);
 * past WAL_LIMIT the writer checkpoints itself
 * after each commit, so that the WAL is copied whole and the next commit
 * starts it again from the beginning (the checkpointer never gets to its
 * end: commits go on meanwhile). The WAL file grows to WAL_LIMIT pages
 * (256 MiB), more while a long reader keeps the checkpoints from
 * finishing. A checkpoint copies each page once, its newest frame, and
 * events dirty a random leaf of people_key for each new person: with
 * 10^6 people (some 14,000 leaves) a commit of 1,000-2,000 shares few
 * leaves with the next, so checkpointing after every commit (as this did
 * once the WAL was 1,000 pages long) copied nearly every frame: from
 * 8x10^5 to 10^6 people, 1.1-1.25 pages an event of the commits' 1.45;
 * every 32,768 frames, about 0.6. */
#define WAL_CHECKPOINT 32768
#define WAL_LIMIT 65536
/* From WAL_CATCHUP frames on, the checkpointer runs again at once after
 * each pass that made progress, until at most CK_TAIL frames are left
 * that it has not copied; then it asks the writer to copy them itself
 * after its next commit (ck_self), so that the WAL starts again from the
 * beginning. The writer's own checkpoint holds up every change queued
 * meanwhile: when it copied what the WAL had gained since the
 * checkpointer's last pass (WAL_CHECKPOINT / 4 frames and more), with
 * the sync of the database, it took 71-73 ms in tests/bench/service.sh
 * (a) (2,500-2,800 new codes a second, the writer traced) and 55-104 ms
 * in bench_registry on the shared 2-core machine; a tail of at most
 * CK_TAIL frames, 13-21 ms and 36-137 ms (most of 35-50 ms: what is
 * left is the database's fsync, the file growing, a journal commit of
 * ext4, more than the copy). */
#define WAL_CATCHUP (WAL_LIMIT - WAL_CHECKPOINT / 2)
#define CK_TAIL 1024
/* Seconds without a commit after which the checkpointer copies what the
 * WAL holds that it was not asked to copy yet. */
#define CK_IDLE_S 1

/* Checkpoints run beside the writer rather than inside its commits
 * (SQLite's automatic checkpoint would hold up every commit that crosses
 * the threshold): PASSIVE, on a connection of their own, which WAL lets
 * run while the writer appends. Called by SQLite after each commit. */
int rs_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct reg *r = arg;
	bool idle;

	(void)db;
	(void)name;
	pthread_mutex_lock(&r->mu);
	idle = r->wal_last <= r->ck_len; /* the checkpointer waits untimed */
	/* frames is the WAL's length after the commit: less than before when
	 * the commit restarted it from the beginning */
	if (frames < r->wal_last) {
		r->ck_len = 0;
		r->ck_self = false; /* (catch_up's ask, made moot: nothing is left) */
	}
	r->wal_frames += frames >= r->wal_last ? frames - r->wal_last : frames;
	r->wal_last = frames;
	r->wal_commits++;
	if (frames >= WAL_LIMIT) {
		r->ck_self = true;
	} else if (frames - r->ck_len >= WAL_CHECKPOINT ||
		   (frames >= WAL_CATCHUP && r->ck_len < WAL_CATCHUP)) {
		r->ck_len = frames;
		r->ck_want = true;
		pthread_cond_signal(&r->ck_work);
	} else if (idle && frames > r->ck_len) {
		pthread_cond_signal(&r->ck_work); /* to wait for a quiet second */
	}
	pthread_mutex_unlock(&r->mu);
	return SQLITE_OK;
}

/* After a pass of the checkpointer that saw the WAL's first logn frames
 * and copied its first ckn (fewer while a reader still uses an older
 * snapshot, as the registry's reads do all the time): from WAL_CATCHUP
 * frames on, another pass at once while the last one made progress, or,
 * once at most CK_TAIL frames are left, the writer copies them itself
 * (see CK_TAIL). Not again when a pass copied nothing new (SQLITE_BUSY:
 * the writer's own checkpoint under way; a reader's old snapshot): the
 * next commits ask again (rs_wal_hook), the writer itself past
 * WAL_LIMIT. Under r->mu; *last: the ckn of the pass before. */
static void catch_up(struct reg *r, int rc, int logn, int ckn, int *last)
{
	int before = *last;

	*last = ckn;
	if (rc != SQLITE_OK || ckn <= 0 || ckn > logn || r->wal_last < WAL_CATCHUP ||
	    r->wal_last < logn)
		return; /* (r->wal_last < logn: the WAL started again meanwhile) */
	if (r->wal_last - ckn <= CK_TAIL) {
		r->ck_self = true;
	} else if (ckn > before) {
		r->ck_len = r->wal_last;
		r->ck_want = true;
	}
}

void *rs_checkpointer_main(void *arg)
{
	struct reg *r = arg;
	int last = 0;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		int rc, logn, ckn;

		while (!r->ck_want && !r->stop) {
			int64_t seen = r->wal_commits;
			struct timespec until;

			if (r->wal_last <= r->ck_len) {
				pthread_cond_wait(&r->ck_work, &r->mu);
				continue;
			}
			/* Frames not asked for yet: copied after a second
			 * without commits, so that a quiet registry's WAL does
			 * not keep them until WAL_CHECKPOINT more come. */
			(void)clock_gettime(CLOCK_MONOTONIC, &until); /* ck_work's clock */
			until.tv_sec += CK_IDLE_S;
			if (pthread_cond_timedwait(&r->ck_work, &r->mu, &until) == ETIMEDOUT &&
			    !r->ck_want && r->wal_commits == seen && r->wal_last > r->ck_len) {
				r->ck_len = r->wal_last;
				r->ck_want = true;
			}
		}
		if (r->stop)
			break;
		r->ck_want = false;
		pthread_mutex_unlock(&r->mu);
		logn = ckn = -1;
		rc = sqlite3_wal_checkpoint_v2(r->ck.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &logn,
					       &ckn);
		pthread_mutex_lock(&r->mu);
		catch_up(r, rc, logn, ckn, &last);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}
