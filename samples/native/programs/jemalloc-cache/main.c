/*
 * jemalloc-cache: a small "profile service" that answers lookups from a cache
 * that never evicts, run under jemalloc's heap profiler.
 *
 * The main thread loads a fixed configuration table and then acts as the admin
 * side: it lets one worker thread serve requests and asks jemalloc for a heap
 * profile (mallctl "prof.dump") at two checkpoints.
 *
 * Allocation sites, by what they do to the live heap:
 *   - config_table_new   (main thread, once)            stable
 *   - request_buffer_new (16 KiB per request, freed)     healthy: nothing live
 *   - access_log_format  (ring of 64 lines, recycled)     bounded
 *   - value_alloc        (cached value, never freed)      grows (the leak)
 *   - entry_new          (cache entry, never freed)       grows
 *   - key_dup            (cache key copy, never freed)    grows
 *   - cache_grow         (bucket array, doubled)          grows in steps
 *
 * Everything is driven by a fixed pseudo-random sequence, so two runs
 * allocate the same sizes in the same order.
 *
 * Usage: jemalloc-cache OUTDIR [REQUESTS1 REQUESTS2]
 * writes OUTDIR/jeprof.1.heap after REQUESTS1 requests and OUTDIR/jeprof.2.heap
 * after REQUESTS2 requests in all. Needs MALLOC_CONF=prof:true (and whatever
 * sampling interval is wanted).
 */
#include <jemalloc/jemalloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))

/* --- deterministic pseudo-random numbers -------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static NOINLINE uint32_t next_random(void) {
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33);
}

/* --- configuration (allocated once, lives for the whole run) ------------ */

struct config {
    size_t nroutes;
    char (*routes)[64];
};

static NOINLINE struct config *config_table_new(size_t nroutes) {
    struct config *c = malloc(sizeof *c);
    c->nroutes = nroutes;
    c->routes = calloc(nroutes, sizeof *c->routes);
    for (size_t i = 0; i < nroutes; i++)
        snprintf(c->routes[i], sizeof c->routes[i], "/api/v1/profile/%zu", i);
    return c;
}

static NOINLINE struct config *load_config(void) {
    return config_table_new(1024);
}

/* --- the cache: a chained hash table that never evicts ------------------ */

struct entry {
    struct entry *next;
    char *key;
    uint64_t hash;
    unsigned char *value;
    size_t value_len;
    uint64_t hits;
};

struct cache {
    struct entry **buckets;
    size_t nbuckets;
    size_t len;
};

static struct cache cache;

static uint64_t hash_key(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static NOINLINE char *key_dup(const char *key) {
    size_t n = strlen(key) + 1;
    char *k = malloc(n);
    memcpy(k, key, n);
    return k;
}

static NOINLINE struct entry *entry_new(const char *key, uint64_t h) {
    struct entry *e = malloc(sizeof *e);
    e->key = key_dup(key);
    e->hash = h;
    e->value = NULL;
    e->value_len = 0;
    e->hits = 0;
    return e;
}

static NOINLINE void cache_grow(struct cache *c) {
    size_t n = c->nbuckets ? c->nbuckets * 2 : 256;
    struct entry **b = calloc(n, sizeof *b);
    for (size_t i = 0; i < c->nbuckets; i++) {
        struct entry *e = c->buckets[i];
        while (e) {
            struct entry *next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(c->buckets);
    c->buckets = b;
    c->nbuckets = n;
}

static struct entry *cache_find(struct cache *c, const char *key, uint64_t h) {
    if (!c->nbuckets)
        return NULL;
    for (struct entry *e = c->buckets[h & (c->nbuckets - 1)]; e; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

static NOINLINE struct entry *cache_insert(struct cache *c, const char *key, uint64_t h) {
    if (c->len + 1 > c->nbuckets)
        cache_grow(c);
    struct entry *e = entry_new(key, h);
    e->next = c->buckets[h & (c->nbuckets - 1)];
    c->buckets[h & (c->nbuckets - 1)] = e;
    c->len++;
    return e;
}

/* --- the "backend": renders a value for a key --------------------------- */

static NOINLINE unsigned char *value_alloc(size_t n) {
    return malloc(n);
}

static NOINLINE size_t render_value(const char *key, unsigned char **out) {
    /* 512 B .. 4 KiB, depending on the key. */
    size_t n = 512 + (hash_key(key) % 7) * 512;
    unsigned char *v = value_alloc(n);
    for (size_t i = 0; i < n; i++)
        v[i] = (unsigned char)(key[i % 8] + i);
    *out = v;
    return n;
}

static NOINLINE size_t load_from_backend(const char *key, unsigned char **out) {
    return render_value(key, out);
}

static NOINLINE struct entry *lookup_or_load(const char *key) {
    uint64_t h = hash_key(key);
    struct entry *e = cache_find(&cache, key, h);
    if (e) {
        e->hits++;
        return e;
    }
    e = cache_insert(&cache, key, h);
    e->value_len = load_from_backend(key, &e->value);
    return e;
}

/* --- per-request work ---------------------------------------------------- */

#define REQUEST_BUFFER (16 * 1024)

static NOINLINE char *request_buffer_new(void) {
    return malloc(REQUEST_BUFFER);
}

static NOINLINE char *read_request(uint64_t id, const struct config *cfg) {
    char *buf = request_buffer_new();
    /* Keys come from a space that keeps widening: most lookups miss. */
    uint32_t user = next_random() % (uint32_t)(id * 2 + 1000);
    snprintf(buf, REQUEST_BUFFER, "GET %s?user=u%08u",
             cfg->routes[user % cfg->nroutes], user);
    return buf;
}

#define LOG_RING 64
static char *access_log[LOG_RING];

static NOINLINE char *access_log_format(uint64_t id, const struct entry *e) {
    char *line = malloc(256);
    snprintf(line, 256, "req=%llu key=%s bytes=%zu hits=%llu",
             (unsigned long long)id, e->key, e->value_len,
             (unsigned long long)e->hits);
    return line;
}

static NOINLINE void log_access(uint64_t id, const struct entry *e) {
    size_t slot = id % LOG_RING;
    free(access_log[slot]);
    access_log[slot] = access_log_format(id, e);
}

static NOINLINE size_t handle_request(uint64_t id, const struct config *cfg) {
    char *buf = read_request(id, cfg);
    const char *key = strchr(buf, '=') + 1;
    struct entry *e = lookup_or_load(key);
    log_access(id, e);
    size_t n = e->value_len;
    free(buf);
    return n;
}

/* --- worker and admin ----------------------------------------------------- */

struct worker {
    const struct config *cfg;
    uint64_t checkpoints[2];
    sem_t reached; /* worker -> admin: a checkpoint was reached */
    sem_t resume;  /* admin -> worker: go on */
    size_t served_bytes;
};

/* Hands over to the admin side and waits until it says go on. */
static NOINLINE void checkpoint(struct worker *w) {
    sem_post(&w->reached);
    sem_wait(&w->resume);
}

/* The request loop: one call site for every request, checkpoints in between. */
static NOINLINE void serve_loop(struct worker *w) {
    int next = 0;
    for (uint64_t id = 0;; id++) {
        if (id == w->checkpoints[next]) {
            checkpoint(w);
            if (++next == 2)
                return;
        }
        w->served_bytes += handle_request(id, w->cfg);
    }
}

static void *worker_main(void *arg) {
    serve_loop(arg);
    return NULL;
}

static NOINLINE int dump_profile(const char *path) {
    int r = mallctl("prof.dump", NULL, NULL, &path, sizeof path);
    if (r != 0)
        fprintf(stderr, "prof.dump %s failed: %s\n", path, strerror(r));
    else
        fprintf(stderr, "wrote %s: %zu entries in the cache\n", path, cache.len);
    return r;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: %s OUTDIR [REQUESTS1 REQUESTS2]\n", argv[0]);
        return 2;
    }
    bool prof = false;
    size_t sz = sizeof prof;
    if (mallctl("opt.prof", &prof, &sz, NULL, 0) != 0 || !prof) {
        fprintf(stderr, "jemalloc heap profiling is off: run with MALLOC_CONF=prof:true\n");
        return 2;
    }
    const char *version = "?";
    size_t lg_sample = 0;
    sz = sizeof version;
    mallctl("version", &version, &sz, NULL, 0);
    sz = sizeof lg_sample;
    mallctl("opt.lg_prof_sample", &lg_sample, &sz, NULL, 0);
    fprintf(stderr, "jemalloc %s, lg_prof_sample %zu\n", version, lg_sample);

    struct worker w = {.cfg = load_config()};
    w.checkpoints[0] = argc == 4 ? strtoull(argv[2], NULL, 10) : 20000;
    w.checkpoints[1] = argc == 4 ? strtoull(argv[3], NULL, 10) : 60000;
    sem_init(&w.reached, 0, 0);
    sem_init(&w.resume, 0, 0);

    pthread_t t;
    pthread_create(&t, NULL, worker_main, &w);
    int rc = 0;
    for (int i = 0; i < 2; i++) {
        sem_wait(&w.reached);
        char path[4096];
        snprintf(path, sizeof path, "%s/jeprof.%d.heap", argv[1], i + 1);
        rc |= dump_profile(path);
        sem_post(&w.resume);
    }
    pthread_join(t, NULL);
    fprintf(stderr, "served %zu bytes\n", w.served_bytes);
    return rc;
}
