/* t_held.c: the held-code answer cache (issuer/held.c): a hit is the same
 * bytes; a change to the person, or a revocation, drops the entry; an
 * entry read before a change is not stored after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "held.h"
#include "t.h"

static const char K1[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
static const char K2[] = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

static struct held one(const char *body)
{
	struct held h;

	memset(&h, 0, sizeof(h));
	h.st = HC_ST_GREEN;
	h.exp = 1800000000;
	(void)snprintf(h.name, sizeof(h.name), "%s", "王**");
	(void)snprintf(h.id, sizeof(h.id), "%s", "330***********1004");
	h.rec = "a record's packed bytes (hc_record_pack), kept as they are";
	h.reclen = strlen(h.rec);
	h.body = body;
	h.bodylen = strlen(body);
	return h;
}

/* h stored under key with a ticket taken now. */
static void put_now(struct held_cache *c, const char *key, const struct held *h)
{
	held_put(c, key, held_ticket(c, key), h);
}

/* Whether an entry for key is found. */
static bool in_cache(struct held_cache *c, const char *key)
{
	struct held *g = held_get(c, key);
	bool hit = g != NULL;

	free(g);
	return hit;
}

/* A ticket for key taken, then the change forget (a key, or NULL for a
 * revocation) before h is stored with that ticket: whether it is found. */
static bool put_after_change(struct held_cache *c, const char *key, const char *forget,
			     const struct held *h)
{
	struct held_ticket t = held_ticket(c, key);

	held_forget(c, forget);
	held_put(c, key, t, h);
	return in_cache(c, key);
}

static void test_hit_same_bytes(void)
{
	struct held_cache *c = NULL;
	struct held h = one("{\"jti\":\"one\"}"), *g;
	uint64_t hits, misses;

	CHECK_ERR(held_open(&c), HC_OK);
	CHECK(held_get(c, K1) == NULL);
	put_now(c, K1, &h);
	g = held_get(c, K1);
	CHECK(g != NULL);
	if (g) {
		CHECK(g->bodylen == h.bodylen && memcmp(g->body, h.body, h.bodylen) == 0);
		CHECK(g->reclen == h.reclen && memcmp(g->rec, h.rec, h.reclen) == 0 &&
		      strcmp(g->name, h.name) == 0 &&
		      strcmp(g->id, h.id) == 0 && g->st == h.st && g->exp == h.exp);
	}
	free(g);
	CHECK(held_get(c, K2) == NULL);
	held_counts(c, &hits, &misses);
	CHECK(hits == 1 && misses == 2);
	held_close(c);
}

static void test_forget(void)
{
	struct held_cache *c = NULL;
	struct held h = one("{\"jti\":\"one\"}");

	CHECK_ERR(held_open(&c), HC_OK);
	put_now(c, K1, &h);
	put_now(c, K2, &h);
	held_forget(c, K1); /* a change to person 1 */
	CHECK(!in_cache(c, K1));
	CHECK(in_cache(c, K2)); /* person 2 kept */
	held_forget(c, NULL); /* a revocation: every entry */
	CHECK(!in_cache(c, K2));
	/* stored again after the revocation: found */
	put_now(c, K2, &h);
	CHECK(in_cache(c, K2));
	held_close(c);
}

/* A reader that took its ticket, then read the registry, then stored:
 * a change committed in between must keep the old answer out. */
static void test_ticket_before_change(void)
{
	struct held_cache *c = NULL;
	struct held h = one("{\"jti\":\"old\"}");

	CHECK_ERR(held_open(&c), HC_OK);
	CHECK(!put_after_change(c, K1, K1, &h));
	CHECK(!put_after_change(c, K1, NULL, &h));
	/* a ticket taken after the change: stored */
	put_now(c, K1, &h);
	CHECK(in_cache(c, K1));
	held_close(c);
}

static void test_replace(void)
{
	struct held_cache *c = NULL;
	struct held a = one("{\"jti\":\"a\"}"), b = one("{\"jti\":\"bb\"}"), *g;

	CHECK_ERR(held_open(&c), HC_OK);
	put_now(c, K1, &a);
	put_now(c, K1, &b);
	g = held_get(c, K1);
	CHECK(g && g->bodylen == b.bodylen && memcmp(g->body, b.body, b.bodylen) == 0);
	free(g);
	held_close(c);
	held_close(NULL);
	held_forget(NULL, K1);
}

/* More than the cache holds: it stays within its bound and keeps taking
 * new entries (the newest is found). */
static void test_full(void)
{
	struct held_cache *c = NULL;
	size_t n = 2000;
	char *big = malloc(n + 1), key[REG_KEY_LEN + 1];
	struct held h;
	int found = 0;

	CHECK(big != NULL);
	if (!big)
		return;
	memset(big, 'x', n);
	big[n] = '\0';
	h = one(big);
	CHECK_ERR(held_open(&c), HC_OK);
	for (int i = 0; i < 40000; i++) {
		(void)snprintf(key, sizeof(key), "%043d", i);
		put_now(c, key, &h);
		found += in_cache(c, key);
	}
	/* 80 MB offered to 60 MiB: each one was kept at least until read */
	CHECK(found == 40000);
	found = 0;
	for (int i = 0; i < 40000; i++) {
		(void)snprintf(key, sizeof(key), "%043d", i);
		found += in_cache(c, key);
	}
	CHECK(found > 10000 && found < 30000);
	held_close(c);
	free(big);
}

void t_main(void)
{
	RUN(test_hit_same_bytes);
	RUN(test_forget);
	RUN(test_ticket_before_change);
	RUN(test_replace);
	RUN(test_full);
}
