/* thread.c: a block of memory per thread, kept from one call to the next
 * (OpenSSL and zlib contexts that cost more to make than to use); condition
 * variables timed on the monotonic clock. */
#include <stdlib.h>
#include <time.h>

#include "hc.h"

/* The keys' one-time creation (pthread_once takes no argument). */
static pthread_mutex_t make_mu = PTHREAD_MUTEX_INITIALIZER;

static bool key_ready(struct hc_thread_blocks *b)
{
	int made = atomic_load_explicit(&b->made, memory_order_acquire);

	if (made == 0) {
		pthread_mutex_lock(&make_mu);
		if ((made = atomic_load_explicit(&b->made, memory_order_relaxed)) == 0) {
			made = pthread_key_create(&b->key, b->drop) == 0 ? 1 : -1;
			atomic_store_explicit(&b->made, made, memory_order_release);
		}
		pthread_mutex_unlock(&make_mu);
	}
	return made > 0;
}

void *hc_thread_block(struct hc_thread_blocks *b)
{
	void *p;

	if (!key_ready(b))
		return NULL;
	if ((p = pthread_getspecific(b->key)))
		return p;
	if (!(p = calloc(1, b->size)))
		return NULL;
	if (pthread_setspecific(b->key, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void *hc_thread_block_peek(struct hc_thread_blocks *b)
{
	return key_ready(b) ? pthread_getspecific(b->key) : NULL;
}

void hc_thread_block_drop(struct hc_thread_blocks *b)
{
	void *p = hc_thread_block_peek(b);

	if (p && pthread_setspecific(b->key, NULL) == 0)
		b->drop(p);
}

int hc_cond_init_mono(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int rc = pthread_condattr_init(&ca);

	if (rc != 0)
		return rc;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cv, &ca);
	(void)pthread_condattr_destroy(&ca);
	return rc;
}
