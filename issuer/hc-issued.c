/* hc-issued: the regional office's issuing service: main and the
 * subcommand table (init, token, serve, backup). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config.h"
#include "hc_version.h"
#include "hc_policy.h"
#include "hc_sign.h"
#include "http.h"
#include "log.h"
#include "publish.h"
#include "registry.h"
#include "service.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2

static const char exits[] =
	"Exit status: 0 success, 1 refused (exists, unknown name), 2 usage, configuration,\n"
	"I/O or registry error.\n";

static const char usage_main[] =
	"usage: hc-issued COMMAND --config FILE [options]\n"
	"\n"
	"  init             create the registry and the identity secret\n"
	"  token add|list|revoke   API tokens\n"
	"  serve            run the service (foreground; SIGTERM drains and exits 0)\n"
	"  backup OUT       online copy of the registry\n"
	"\n"
	"hc-issued COMMAND --help describes each; hc-issued --version gives the\n"
	"version and the libraries'.\n";

static const char usage_init[] =
	"usage: hc-issued init --config FILE\n"
	"\n"
	"Creates the registry (SQLite) and the identity secret (32 random bytes,\n"
	"mode 0600) named by the configuration; refuses when either exists.\n";

static const char usage_token[] =
	"usage: hc-issued token add --config FILE --role ROLE --name NAME\n"
	"       hc-issued token list --config FILE\n"
	"       hc-issued token revoke --config FILE --name NAME\n"
	"\n"
	"add prints a new token once on standard output (43 characters, base64url\n"
	"of 32 random bytes); the registry keeps only the SHA-256 of its 32 bytes.\n"
	"Roles: counter, app, admin, auditor, source:nat, source:vac, source:trv,\n"
	"source:visit, source:flag. NAME: 1..63 of A-Z a-z 0-9 . _ : @ -, unique,\n"
	"not the name of one of the config's sources.\n"
	"list prints one line per token: NAME ROLE CREATED REVOKED|-.\n"
	"revoke: the token is refused from its next request on.\n";

static const char usage_serve[] =
	"usage: hc-issued serve --config FILE [--log FILE]\n"
	"\n"
	"Runs the service in the foreground, logging to standard error (or to\n"
	"--log FILE, reopened on SIGHUP); one daemon per registry (it holds a\n"
	"lock on REGISTRY.lock). SIGTERM or SIGINT stops accepting connections,\n"
	"lets the requests in flight finish (at most the config's timeout),\n"
	"publishes the audit entries and a signed head, and exits 0.\n";

static const char usage_backup[] =
	"usage: hc-issued backup --config FILE OUT\n"
	"\n"
	"Copies the registry to OUT (a new file) while the service may run. With\n"
	"a risk_feed, the list the service holds (its baseline against a rolled-\n"
	"back list) is copied to OUT.risk-areas.jws, never newer than the statuses\n"
	"in OUT: restore both.\n";

static const char *const roles[] = {"counter",	  "app",	"admin",      "auditor",
				    "source:nat", "source:vac", "source:trv", "source:visit",
				    "source:flag", NULL};

static void perr(const char *what, hc_err err)
{
	const char *d = hc_detail();

	fprintf(stderr, "hc-issued: %s: %s%s%s\n", what, hc_strerror(err), d[0] ? ": " : "", d);
}

/* Options shared by the commands; each given at most once. */
struct opts {
	const char *config, *role, *name, *log;
	int rest;  /* optind after parsing */
};

static int parse(int argc, char **argv, const char *usage, const char *allowed, struct opts *o)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'}, {"role", required_argument, NULL, 'r'},
		{"name", required_argument, NULL, 'n'},	  {"log", required_argument, NULL, 'l'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	unsigned char seen[256] = {0};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			fputs(exits, stdout);
			return 0;
		}
		if (c == '?' || !strchr(allowed, c)) {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
		if (seen[c]++) {
			fprintf(stderr, "hc-issued: option --%s given twice\n",
				c == 'c' ? "config" : c == 'r' ? "role" : c == 'n' ? "name" : "log");
			return EXIT_USAGE;
		}
		switch (c) {
		case 'c': o->config = optarg; break;
		case 'r': o->role = optarg; break;
		case 'n': o->name = optarg; break;
		case 'l': o->log = optarg; break;
		default: break;
		}
	}
	if (!o->config) {
		fprintf(stderr, "hc-issued: --config is needed\n");
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	o->rest = optind;
	return -1;
}

static int load(const char *path, struct cfg *c)
{
	char msg[512];
	hc_err err = cfg_load(path, c, msg, sizeof(msg));

	if (err != HC_OK) {
		fprintf(stderr, "hc-issued: %s: %s\n", path, msg);
		return EXIT_USAGE;
	}
	return 0;
}

static int cmd_init(int argc, char **argv)
{
	struct cfg c;
	struct opts o;
	struct reg *r = NULL;
	uint8_t secret[32];
	struct stat st;
	int rc = parse(argc, argv, usage_init, "c", &o), fd;
	hc_err err;

	if (rc >= 0)
		return rc;
	if (o.rest != argc) {
		fputs(usage_init, stderr);
		return EXIT_USAGE;
	}
	if ((rc = load(o.config, &c)) != 0)
		return rc;
	if (lstat(c.registry, &st) == 0 || lstat(c.id_secret, &st) == 0) {
		fprintf(stderr, "hc-issued: init: %s exists; refusing to overwrite\n",
			lstat(c.registry, &st) == 0 ? c.registry : c.id_secret);
		return EXIT_REFUSED;
	}
	if ((err = hc_random(secret, sizeof(secret))) != HC_OK) {
		perr("random", err);
		return EXIT_USAGE;
	}
	fd = open(c.id_secret, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, secret, sizeof(secret)) != (ssize_t)sizeof(secret) ||
	    fsync(fd) != 0) {
		fprintf(stderr, "hc-issued: %s: %s\n", c.id_secret, strerror(errno));
		if (fd != -1) {
			(void)close(fd);
			(void)unlink(c.id_secret);
		}
		OPENSSL_cleanse(secret, sizeof(secret));
		return EXIT_USAGE;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	if (close(fd) != 0) {
		fprintf(stderr, "hc-issued: %s: %s\n", c.id_secret, strerror(errno));
		(void)unlink(c.id_secret);
		return EXIT_USAGE;
	}
	if ((err = reg_open(c.registry, true, &r)) != HC_OK) {
		perr(c.registry, err);
		(void)unlink(c.id_secret);
		return err == HC_ERR_EXISTS ? EXIT_REFUSED : EXIT_USAGE;
	}
	reg_close(r);
	if (mkdir(c.publish, 0755) == -1 && errno != EEXIST)
		fprintf(stderr, "hc-issued: %s: %s (serve creates it)\n", c.publish, strerror(errno));
	printf("registry %s and identity secret %s created\n", c.registry, c.id_secret);
	return 0;
}

static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n < REG_NAME_LEN &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:@-") == n;
}

static void list_one(void *arg, const struct reg_token *t)
{
	char c[32], rv[32];

	(void)arg;
	hc_time_format(t->created, c, sizeof(c));
	if (t->revoked)
		hc_time_format(t->revoked, rv, sizeof(rv));
	printf("%s %s %s %s\n", t->name, t->role, c, t->revoked ? rv : "-");
}

static int cmd_token(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";
	struct cfg c;
	struct opts o;
	struct reg *r = NULL;
	int rc;
	hc_err err;

	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		fputs(usage_token, stdout);
		fputs(exits, stdout);
		return 0;
	}
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "revoke") != 0) {
		fputs(usage_token, stderr);
		return EXIT_USAGE;
	}
	rc = parse(argc - 1, argv + 1, usage_token,
		   sub[0] == 'a' ? "crn" : sub[0] == 'r' ? "cn" : "c", &o);
	if (rc >= 0)
		return rc;
	if (o.rest != argc - 1 || (sub[0] == 'a' && (!o.role || !o.name)) ||
	    (sub[0] == 'r' && !o.name)) {
		fputs(usage_token, stderr);
		return EXIT_USAGE;
	}
	if (o.name && !name_ok(o.name)) {
		fprintf(stderr, "hc-issued: --name: 1..63 of A-Z a-z 0-9 . _ : @ -\n");
		return EXIT_USAGE;
	}
	if (o.role) {
		size_t i = 0;

		while (roles[i] && strcmp(roles[i], o.role) != 0)
			i++;
		if (!roles[i]) {
			fprintf(stderr, "hc-issued: --role: unknown role '%s'\n", o.role);
			return EXIT_USAGE;
		}
	}
	if ((rc = load(o.config, &c)) != 0)
		return rc;
	for (size_t i = 0; sub[0] == 'a' && i < c.nsources; i++)
		if (strcmp(o.name, c.sources[i].name) == 0) {
			fprintf(stderr, "hc-issued: --name: %s is a source's name (inputs name "
					"who supplied them)\n",
				o.name);
			return EXIT_REFUSED;
		}
	if ((err = reg_open(c.registry, false, &r)) != HC_OK) {
		perr(c.registry, err);
		return EXIT_USAGE;
	}
	rc = 0;
	if (sub[0] == 'a') {
		uint8_t raw[32], hash[32];
		char tok[44];

		if ((err = hc_random(raw, sizeof(raw))) != HC_OK ||
		    (err = hc_b64u_encode(raw, sizeof(raw), tok, sizeof(tok))) != HC_OK ||
		    (err = hc_sha256(raw, sizeof(raw), hash)) != HC_OK ||
		    (err = reg_token_add(r, hash, o.role, o.name, "system", hc_now())) != HC_OK) {
			perr(err == HC_ERR_EXISTS ? o.name : "token add", err);
			rc = err == HC_ERR_EXISTS ? EXIT_REFUSED : EXIT_USAGE;
		} else {
			printf("%s\n", tok);
		}
		OPENSSL_cleanse(raw, sizeof(raw));
		OPENSSL_cleanse(tok, sizeof(tok));
	} else if (sub[0] == 'l') {
		if ((err = reg_token_list(r, list_one, NULL)) != HC_OK) {
			perr("token list", err);
			rc = EXIT_USAGE;
		}
	} else if ((err = reg_token_revoke(r, o.name, "system", hc_now())) != HC_OK) {
		perr(o.name, err);
		rc = err == HC_ERR_NOT_FOUND ? EXIT_REFUSED : EXIT_USAGE;
	}
	reg_close(r);
	return rc;
}

/* One daemon per registry: it alone publishes the lists and the chain.
 * Returns the descriptor holding the lock (closed at exit), or -1. */
static int lock_registry(const char *registry)
{
	char path[CFG_PATH + 8];
	int fd;

	if (hc_path(path, sizeof(path), "%s.lock", registry) != HC_OK)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_msg("%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		log_msg("%s: %s", path,
			errno == EWOULDBLOCK ? "another hc-issued serves this registry" : strerror(errno));
		(void)close(fd);
		return -1;
	}
	return fd;
}

static int cmd_serve(int argc, char **argv)
{
	struct cfg c;
	struct opts o;
	struct svc *s = NULL;
	struct http *h = NULL;
	sigset_t set;
	char msg[1024];
	int rc = parse(argc, argv, usage_serve, "cl", &o), sig = 0, lockfd = -1;
	hc_err err;

	if (rc >= 0)
		return rc;
	if (o.rest != argc) {
		fputs(usage_serve, stderr);
		return EXIT_USAGE;
	}
	if ((rc = load(o.config, &c)) != 0)
		return rc;
	/* A request allocates and frees some 100 KB (its record, TLS and JSON
	 * buffers) in its thread's arena; glibc gave the arena's free top
	 * back to the kernel above 128 KB and faulted it in again for the
	 * next request (clearing pages: 6% of a held code's CPU). 2 MB of
	 * free heap may stay in each arena, and the arenas are capped at 16
	 * (glibc's own cap is 8 a core: with the pool's 256 threads on a big
	 * machine, half a gigabyte kept free); fixing the trim threshold also
	 * fixes the mmap threshold, which is raised alike so that an image's
	 * zlib state (300 KB) stays on the heap. */
	(void)mallopt(M_TRIM_THRESHOLD, 2 << 20);
	(void)mallopt(M_MMAP_THRESHOLD, 2 << 20);
	(void)mallopt(M_ARENA_MAX, 16);
	if (o.log && (err = log_open(o.log)) != HC_OK) {
		perr("--log", err);
		return EXIT_USAGE;
	}
	/* Signals go to the main thread's sigwait only: every thread started
	 * from here on inherits the mask. */
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGHUP);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	rc = EXIT_USAGE;
	if ((lockfd = lock_registry(c.registry)) == -1)
		goto out;
	if (svc_open(&c, &s, msg, sizeof(msg)) != HC_OK) {
		log_msg("%s", msg);
		goto out;
	}
	if ((err = pub_start(&c, s->reg, s->key, &s->publisher)) != HC_OK) {
		log_msg("publish: %s%s%s", hc_strerror(err), hc_detail()[0] ? ": " : "", hc_detail());
		goto out;
	}
	if (svc_feed_start(s, msg, sizeof(msg)) != HC_OK) {
		log_msg("%s", msg);
		goto out;
	}
	if ((err = svc_query_open(s)) != HC_OK) {
		log_msg("sources: %s%s%s", hc_strerror(err), hc_detail()[0] ? ": " : "",
			hc_detail());
		goto out;
	}
	if (http_start(s, &h, msg, sizeof(msg)) != HC_OK) {
		log_msg("%s", msg);
		goto out;
	}
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			log_flush(); /* the lines before the signal into the old file */
			if (o.log && log_open(o.log) != HC_OK)
				log_msg("SIGHUP: cannot reopen the log: %s", hc_detail());
			else
				log_msg("log reopened");
			continue;
		}
		break;
	}
	log_msg("signal %d: draining", sig);
	http_stop(h, c.timeout);
	h = NULL;
	rc = 0;
out:
	http_stop(h, 0);
	if (s) {
		svc_feed_stop(s);
		svc_query_close(s);
		pub_stop(s->publisher);
		s->publisher = NULL;
	}
	svc_close(s);
	if (lockfd != -1)
		(void)close(lockfd);
	log_stop(); /* the HTTP threads are gone: their last lines written */
	if (rc == 0)
		log_msg("stopped");
	return rc;
}

/* The risk list the feed holds (*buf NULL, *n 0 when none is held yet). */
static int read_held(const char *held, uint8_t **buf, size_t *n)
{
	hc_err err;

	*buf = NULL;
	*n = 0;
	if ((err = hc_read_file(held, HC_MAX_RISK_JWS, buf, n)) == HC_OK)
		return 0;
	if (err == HC_ERR_IO && access(held, F_OK) != 0)
		return 0;
	perr(held, err);
	return EXIT_USAGE;
}

/* The registry copied to out and, with a risk feed, the list the feed
 * holds to OUT.risk-areas.jws (the name the service reads beside a
 * registry OUT). The list is read before and after the registry's copy
 * and the copy made again when it changed in between: a list is kept
 * only after everyone it concerns is re-evaluated, so the list read is
 * never newer than the statuses in the copy (it may be older: the next
 * fetch then re-evaluates from it, which changes nobody twice). */
static int backup_pair(struct reg *r, const char *held, const char *out)
{
	char path[PATH_MAX];
	struct stat st;

	if (held && snprintf(path, sizeof(path), "%s.risk-areas.jws", out) >= (int)sizeof(path)) {
		fprintf(stderr, "hc-issued: backup: %s: too long a path\n", out);
		return EXIT_USAGE;
	}
	if (held && lstat(path, &st) == 0) {
		fprintf(stderr, "hc-issued: backup: %s exists\n", path);
		return EXIT_REFUSED;
	}
	for (int tries = 0; tries < 5; tries++) {
		uint8_t *b1 = NULL, *b2 = NULL;
		size_t n1 = 0, n2 = 0;
		hc_err err;
		bool same;
		int rc;

		if (held && (rc = read_held(held, &b1, &n1)) != 0)
			return rc;
		if ((err = reg_backup(r, out)) != HC_OK) {
			free(b1);
			perr("backup", err);
			return EXIT_USAGE;
		}
		if (!held)
			return 0;
		if ((rc = read_held(held, &b2, &n2)) != 0) {
			free(b1);
			return rc;
		}
		same = n1 == n2 && (n1 == 0 || memcmp(b1, b2, n1) == 0);
		free(b2);
		if (same) {
			err = n1 ? hc_write_file_atomic(path, b1, n1, 0600) : HC_OK;
			free(b1);
			if (err != HC_OK) {
				perr(path, err);
				return EXIT_USAGE;
			}
			return 0;
		}
		free(b1);
		(void)unlink(out); /* a new list was kept meanwhile: again */
	}
	fprintf(stderr, "hc-issued: backup: the held risk list kept changing; try again\n");
	return EXIT_USAGE;
}

static int cmd_backup(int argc, char **argv)
{
	struct cfg c;
	struct opts o;
	struct reg *r = NULL;
	struct stat st;
	int rc = parse(argc, argv, usage_backup, "c", &o);
	hc_err err;

	if (rc >= 0)
		return rc;
	if (o.rest != argc - 1) {
		fputs(usage_backup, stderr);
		return EXIT_USAGE;
	}
	if ((rc = load(o.config, &c)) != 0)
		return rc;
	if (lstat(argv[o.rest], &st) == 0) {
		fprintf(stderr, "hc-issued: backup: %s exists\n", argv[o.rest]);
		return EXIT_REFUSED;
	}
	if ((err = reg_open(c.registry, false, &r)) != HC_OK) {
		perr(c.registry, err);
		return EXIT_USAGE;
	}
	rc = backup_pair(r, c.feed.held[0] ? c.feed.held : NULL, argv[o.rest]);
	reg_close(r);
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"init", cmd_init},
	{"token", cmd_token},
	{"serve", cmd_serve},
	{"backup", cmd_backup},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_main, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_main, stdout);
		fputs(exits, stdout);
		return hc_stdout_status("hc-issued", 0);
	}
	if (strcmp(argv[1], "--version") == 0) {
		char more[160], http[112];

		http_versions(http, sizeof(http));
		(void)snprintf(more, sizeof(more), "%s, %s", reg_engine(), http);
		hc_version_print(stdout, "hc-issued", more);
		return hc_stdout_status("hc-issued", 0);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return hc_stdout_status("hc-issued", commands[i].fn(argc - 1, argv + 1));
	fprintf(stderr, "hc-issued: unknown command '%s'\n", argv[1]);
	fputs(usage_main, stderr);
	return EXIT_USAGE;
}
