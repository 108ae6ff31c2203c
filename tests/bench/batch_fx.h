/* batch_fx.h: bench_batch's harness: the other load on the machine
 * during a measurement, the runner that starts children from a small
 * address space, OpenSSL's limit and a run of hc-verify batch. */
#ifndef BATCH_FX_H
#define BATCH_FX_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "hc.h"

/* The temporary directory and the build directory. */
extern char W[256], B[4096];

double now(void);
/* system(cmd), exiting 2 when it fails. */
void sh(const char *cmd);
/* Exits 2 with what and err's text and detail. */
void die(const char *what, hc_err err) __attribute__((noreturn));

/* CPU seconds the whole machine spent busy (user, nice, system, irq,
 * softirq, steal) and in total, from /proc/stat. */
struct load {
	double busy, total, own;
};

double tv(const struct timeval *t);
void load_snap(struct load *l);
/* Share of the machine other processes used since a, given the CPU seconds
 * the measured work used beyond what load_snap sees (extra). */
double load_other(const struct load *a, double extra);
/* Set once a measurement had others take more than their share. */
extern bool noisy;
/* Warns when others took more than their share: a measurement on all cores
 * wants the machine (free > 0.9); one on one thread wants a core. */
void note_load(double other, double free_needed);

struct result {
	int status;
	double wall;
	struct rusage ru;
};

/* The runner: started first (while this process is small), stopped at the
 * end; run executes argv with stderr to errpath and waits for it. */
void runner_start(void);
void runner_stop(void);
struct result run(const char *errpath, const char *const *argv);

/* openssl speed -multi ncpu ecdsap256: sign/s and verify/s over all cores,
 * the others' share meanwhile, and OpenSSL's version. */
void openssl_speed(long ncpu, double *sign, double *verify, double *other, char *ver,
		   size_t versz);

struct batch {
	struct result r;
	double records, pass, cache_hits, rps, seconds, other;
};

/* hc-verify batch over W/name.jsonl into a report: false, with why on
 * stderr, unless it exits 0 and every one of records passes. */
bool run_batch(const char *name, size_t records, struct batch *out);
void print_rate(const char *label, size_t records, const struct batch *b, double verify,
		double target);

#endif
