/* registry_sqlite_pcache.c: SQLite's own page cache, with one cost of
 * its truncation taken away.
 *
 * At the end of every write transaction SQLite truncates its page cache
 * to the database's size (pager_end_transaction). Its cache (pcache1)
 * does the work only when it has seen a page number beyond that size
 * since the last truncation, but it counts among them the temporary
 * number a b-tree balance gives a page while it swaps two pages' numbers
 * (balance_nonroot: the lock-byte page's, 2^30 / page size + 1, 262,145
 * with pages of 4 KB). In a database under 1 GiB that number is beyond
 * the end, so nearly every commit that split a page then walked the
 * whole hash table of the cache, every page in it: 342 us a commit at
 * the median and 737 at the 90th percentile for the registry's writer
 * with its 64 MB cache (tests/bench/service.sh, new codes, 20,000
 * people: the commit's truncation timed by uprobes), 6 % of the
 * service's CPU, all of it on the writer, whose commits every request
 * waits for. The page never stays at that number: the balance renumbers
 * it again at once.
 *
 * This wrapper passes every call to SQLite's default cache and keeps,
 * per cache, the largest page number that may be in it (every page
 * created and every new number a page was given, that temporary one
 * counted only while a page holds it). A truncation that could drop no
 * page is not passed on. Nothing else changes: the same cache, the same
 * pages, the same limits. Installed once per process before SQLite
 * initializes (rs_vfs); a process that started SQLite before keeps the
 * plain cache. */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "registry_sqlite.h"

/* SQLite's PENDING_BYTE (sqlite3.c; it moves only under test control) */
#define LOCK_BYTE_OFFSET 0x40000000u

struct wcache {
	sqlite3_pcache *inner;
	unsigned temp;    /* the balance's temporary page number */
	unsigned max;     /* no page numbered above it is cached (temp aside) */
	bool temp_held;   /* a page holds temp now */
};

static sqlite3_pcache_methods2 base;
static _Atomic unsigned long skipped; /* truncations not passed on */

static int w_init(void *arg)
{
	return base.xInit ? base.xInit(arg) : SQLITE_OK;
}

static void w_shutdown(void *arg)
{
	if (base.xShutdown)
		base.xShutdown(arg);
}

static sqlite3_pcache *w_create(int szPage, int szExtra, int bPurgeable)
{
	struct wcache *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	if (!(w->inner = base.xCreate(szPage, szExtra, bPurgeable))) {
		free(w);
		return NULL;
	}
	w->temp = szPage > 0 ? LOCK_BYTE_OFFSET / (unsigned)szPage + 1 : 0;
	return (sqlite3_pcache *)w;
}

static void w_cachesize(sqlite3_pcache *p, int n)
{
	base.xCachesize(((struct wcache *)p)->inner, n);
}

static int w_pagecount(sqlite3_pcache *p)
{
	return base.xPagecount(((struct wcache *)p)->inner);
}

static sqlite3_pcache_page *w_fetch(sqlite3_pcache *p, unsigned key, int create)
{
	struct wcache *w = (struct wcache *)p;
	sqlite3_pcache_page *pg = base.xFetch(w->inner, key, create);

	if (pg && key > w->max) {
		if (key == w->temp)
			w->temp_held = true;
		else
			w->max = key;
	}
	return pg;
}

static void w_unpin(sqlite3_pcache *p, sqlite3_pcache_page *pg, int discard)
{
	base.xUnpin(((struct wcache *)p)->inner, pg, discard);
}

static void w_rekey(sqlite3_pcache *p, sqlite3_pcache_page *pg, unsigned from, unsigned to)
{
	struct wcache *w = (struct wcache *)p;

	base.xRekey(w->inner, pg, from, to);
	if (from == w->temp)
		w->temp_held = false;
	if (to == w->temp)
		w->temp_held = true;
	else if (to > w->max)
		w->max = to;
}

static void w_truncate(sqlite3_pcache *p, unsigned limit)
{
	struct wcache *w = (struct wcache *)p;

	if (limit > w->max && !(w->temp_held && limit <= w->temp)) {
		skipped++;
		return;
	}
	base.xTruncate(w->inner, limit);
	if (limit > 0 && w->max >= limit)
		w->max = limit - 1;
	if (w->temp_held && limit <= w->temp)
		w->temp_held = false;
}

static void w_destroy(sqlite3_pcache *p)
{
	struct wcache *w = (struct wcache *)p;

	base.xDestroy(w->inner);
	free(w);
}

static void w_shrink(sqlite3_pcache *p)
{
	base.xShrink(((struct wcache *)p)->inner);
}

static const sqlite3_pcache_methods2 wrapped = {
	.iVersion = 1,
	.xInit = w_init,
	.xShutdown = w_shutdown,
	.xCreate = w_create,
	.xCachesize = w_cachesize,
	.xPagecount = w_pagecount,
	.xFetch = w_fetch,
	.xUnpin = w_unpin,
	.xRekey = w_rekey,
	.xTruncate = w_truncate,
	.xDestroy = w_destroy,
	.xShrink = w_shrink,
};

void rs_pcache_install(void)
{
	sqlite3_pcache_methods2 m = {0};

	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &m) != SQLITE_OK || !m.xCreate ||
	    !m.xFetch || !m.xTruncate || !m.xRekey || !m.xDestroy || !m.xShrink ||
	    !m.xUnpin || !m.xCachesize || !m.xPagecount)
		return;
	base = m;
	/* the context pointer SQLite hands xInit and xShutdown stays base's */
	{
		sqlite3_pcache_methods2 w = wrapped;

		w.pArg = m.pArg;
		(void)sqlite3_config(SQLITE_CONFIG_PCACHE2, &w);
	}
}

unsigned long rs_pcache_skipped(void)
{
	return skipped;
}
