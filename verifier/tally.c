/* tally.c: counters by string key for hc-verify audit (open addressing,
 * FNV-1a, doubling at half full), listed in key order at the end. */
#include <stdlib.h>
#include <string.h>

#include "audit_int.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static struct tally_item *find(const struct tally *t, const char *key)
{
	size_t i = (size_t)fnv1a(key) & (t->cap - 1);

	while (t->slot[i].key && strcmp(t->slot[i].key, key) != 0)
		i = (i + 1) & (t->cap - 1);
	return &t->slot[i];
}

static hc_err grow(struct tally *t)
{
	struct tally old = *t;
	size_t cap = old.cap ? old.cap * 2 : 64;

	if (cap > SIZE_MAX / sizeof(*t->slot) || !(t->slot = calloc(cap, sizeof(*t->slot)))) {
		t->slot = old.slot;
		return HC_ERR_NOMEM;
	}
	t->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slot[i].key)
			*find(t, old.slot[i].key) = old.slot[i];
	free(old.slot);
	return HC_OK;
}

hc_err tally_add(struct tally *t, const char *key, uint64_t by, uint64_t *was)
{
	struct tally_item *it;
	hc_err err;

	if ((t->used + 1) * 2 > t->cap && (err = grow(t)) != HC_OK)
		return err;
	it = find(t, key);
	if (!it->key) {
		if (!(it->key = strdup(key)))
			return HC_ERR_NOMEM;
		it->n = 0;
		t->used++;
	}
	if (was)
		*was = it->n;
	it->n += by;
	return HC_OK;
}

uint64_t tally_get(const struct tally *t, const char *key)
{
	const struct tally_item *it = t->cap ? find(t, key) : NULL;

	return it && it->key ? it->n : 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp((*(const struct tally_item *const *)a)->key,
		      (*(const struct tally_item *const *)b)->key);
}

const struct tally_item **tally_sorted(const struct tally *t)
{
	const struct tally_item **v = malloc((t->used + 1) * sizeof(struct tally_item *));
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].key)
			v[n++] = &t->slot[i];
	qsort(v, n, sizeof(struct tally_item *), by_key);
	v[n] = NULL;
	return v;
}

void tally_free(struct tally *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i].key);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
