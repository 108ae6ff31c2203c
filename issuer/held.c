/* held.c: the cache of held codes' answers (held.h): 4-way sets, each with
 * its own lock and a generation that every change to one of its people
 * raises; a global generation for changes that name no person. Bounded by
 * HELD_BYTES; once full, a new entry replaces one of its set's. */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "held.h"

#define HELD_SETS 16384u           /* a power of two */
#define HELD_WAYS 4
#define HELD_BYTES (60u << 20)     /* about 20,000 answers of 2 KB, with their
				    * parsed inputs (0.6 KB) */
#define HELD_MAX_ENTRY (64u << 10) /* a larger answer is not kept */

struct entry {
	char key[REG_KEY_LEN + 1];
	uint64_t all;       /* the global generation when it was read */
	size_t size;        /* of this block */
	struct held h;      /* body and rec point into data */
	char data[];
};

struct set {
	pthread_mutex_t mu;
	uint64_t gen;
	unsigned next;      /* the way replaced next when all are taken */
	struct entry *way[HELD_WAYS];
};

struct held_cache {
	struct set *sets;
	atomic_ullong all;
	atomic_size_t bytes;
	atomic_ullong hits, misses;
};

/* The keys are base64url of an HMAC: any 8 of their characters spread. */
static struct set *set_of(struct held_cache *c, const char *key)
{
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < REG_KEY_LEN && key[i]; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ull;
	return &c->sets[h & (HELD_SETS - 1)];
}

hc_err held_open(struct held_cache **out)
{
	struct held_cache *c = calloc(1, sizeof(*c));
	size_t i;

	*out = NULL;
	if (!c || !(c->sets = calloc(HELD_SETS, sizeof(*c->sets)))) {
		free(c);
		return HC_ERR_NOMEM;
	}
	for (i = 0; i < HELD_SETS; i++)
		if (pthread_mutex_init(&c->sets[i].mu, NULL) != 0)
			break;
	if (i < HELD_SETS) {
		while (i-- > 0)
			pthread_mutex_destroy(&c->sets[i].mu);
		free(c->sets);
		free(c);
		return HC_ERR_NOMEM;
	}
	*out = c;
	return HC_OK;
}

static void drop(struct held_cache *c, struct entry **e)
{
	if (!*e)
		return;
	atomic_fetch_sub(&c->bytes, (*e)->size);
	OPENSSL_clear_free(*e, (*e)->size);
	*e = NULL;
}

void held_close(struct held_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < HELD_SETS; i++) {
		for (int w = 0; w < HELD_WAYS; w++)
			drop(c, &c->sets[i].way[w]);
		pthread_mutex_destroy(&c->sets[i].mu);
	}
	free(c->sets);
	free(c);
}

void held_forget(struct held_cache *c, const char *key)
{
	struct set *s;

	if (!c)
		return;
	if (!key) {
		atomic_fetch_add(&c->all, 1);
		return;
	}
	s = set_of(c, key);
	pthread_mutex_lock(&s->mu);
	s->gen++;
	for (int w = 0; w < HELD_WAYS; w++)
		if (s->way[w] && strcmp(s->way[w]->key, key) == 0)
			drop(c, &s->way[w]);
	pthread_mutex_unlock(&s->mu);
}

struct held *held_get(struct held_cache *c, const char *key)
{
	struct set *s = set_of(c, key);
	struct held *h = NULL;
	uint64_t all = atomic_load(&c->all);

	pthread_mutex_lock(&s->mu);
	for (int w = 0; w < HELD_WAYS; w++) {
		const struct entry *e = s->way[w];
		size_t n;

		if (!e || strcmp(e->key, key) != 0)
			continue;
		if (e->all != all)
			break;
		/* the held and its strings, as one block of the same layout */
		n = e->size - offsetof(struct entry, h);
		if ((h = malloc(n)) != NULL) {
			memcpy(h, &e->h, n);
			h->body = (const char *)h + (e->h.body - (const char *)&e->h);
			h->rec = (const char *)h + ((const char *)e->h.rec - (const char *)&e->h);
		}
		break;
	}
	pthread_mutex_unlock(&s->mu);
	atomic_fetch_add(h ? &c->hits : &c->misses, 1);
	return h;
}

struct held_ticket held_ticket(struct held_cache *c, const char *key)
{
	struct set *s = set_of(c, key);
	struct held_ticket t;

	t.all = atomic_load(&c->all);
	pthread_mutex_lock(&s->mu);
	t.set = s->gen;
	pthread_mutex_unlock(&s->mu);
	return t;
}

/* A full cache, and s (locked) has nothing to replace: drops an entry of a
 * nearby set whose lock is free (dropping is always safe; trylock keeps
 * two sets' locks from ever being waited for in opposite orders). */
static bool make_room(struct held_cache *c, const struct set *s)
{
	size_t i = (size_t)(s - c->sets);

	for (size_t k = 1; k <= 64; k++) {
		struct set *o = &c->sets[(i + k) & (HELD_SETS - 1)];
		bool dropped = false;

		if (pthread_mutex_trylock(&o->mu) != 0)
			continue;
		for (int w = 0; w < HELD_WAYS && !dropped; w++)
			if (o->way[w]) {
				drop(c, &o->way[w]);
				dropped = true;
			}
		pthread_mutex_unlock(&o->mu);
		if (dropped)
			return true;
	}
	return false;
}

void held_put(struct held_cache *c, const char *key, struct held_ticket t, const struct held *h)
{
	size_t size;
	struct set *s = set_of(c, key);
	struct entry *e, **slot = NULL;

	if (strlen(key) != REG_KEY_LEN || h->bodylen > HELD_MAX_ENTRY || h->reclen > HELD_MAX_ENTRY)
		return;
	size = sizeof(*e) + h->bodylen + 1 + h->reclen;
	if (!(e = malloc(size)))
		return;
	memcpy(e->key, key, REG_KEY_LEN + 1);
	e->all = t.all;
	e->size = size;
	e->h = *h;
	memcpy(e->data, h->body, h->bodylen);
	e->data[h->bodylen] = '\0';
	if (h->reclen)
		memcpy(e->data + h->bodylen + 1, h->rec, h->reclen);
	e->h.body = e->data;
	e->h.rec = e->data + h->bodylen + 1;
	pthread_mutex_lock(&s->mu);
	/* A change (or a revocation) since the registry was read: the entry
	 * may be older than the registry, and is not kept. */
	if (s->gen == t.set && atomic_load(&c->all) == t.all) {
		bool full = atomic_load(&c->bytes) + size > HELD_BYTES;

		/* key's own way, else a free one (while there is room), else
		 * the set's ways in turn: a full cache follows the traffic */
		for (int w = 0; w < HELD_WAYS && !slot; w++)
			if (s->way[w] && strcmp(s->way[w]->key, key) == 0)
				slot = &s->way[w];
		for (int w = 0; w < HELD_WAYS && !slot && !full; w++)
			if (!s->way[w])
				slot = &s->way[w];
		for (int w = 0; w < HELD_WAYS && !slot; w++) {
			struct entry **v = &s->way[s->next++ % HELD_WAYS];

			if (*v)
				slot = v;
		}
		if (!slot && make_room(c, s))
			for (int w = 0; w < HELD_WAYS && !slot; w++)
				if (!s->way[w])
					slot = &s->way[w];
		if (slot && atomic_load(&c->bytes) - (*slot ? (*slot)->size : 0) + size <= HELD_BYTES) {
			drop(c, slot);
			*slot = e;
			atomic_fetch_add(&c->bytes, size);
			e = NULL;
		}
	}
	pthread_mutex_unlock(&s->mu);
	if (e)
		OPENSSL_clear_free(e, size);
}

void held_counts(struct held_cache *c, uint64_t *hits, uint64_t *misses)
{
	*hits = c ? atomic_load(&c->hits) : 0;
	*misses = c ? atomic_load(&c->misses) : 0;
}
