/* A condition variable nobody signals, and a writer stuck behind a reader
 * that is itself stuck in pthread_join on a thread that never finishes.
 *
 * cfg-watch:    watch_config -> wait_for_change -> pthread_cond_wait
 *               (config.changed, with config.lock; the predicate never
 *               becomes true)
 * index-reader: reader_main -> rebuild_index: pthread_rwlock_rdlock
 *               (index_lock, held for reading), starts "loader", then
 *               pthread_join(loader) with the read lock still held
 * loader:       loader_main -> load_segment -> read() on a pipe whose write
 *               end stays open and is never written
 * index-writer: writer_main -> publish_index -> pthread_rwlock_wrlock
 *               (index_lock): waits for the reader to let go
 * main:         pthread_join(index-writer)
 *
 * Built -O1 -g. Ground truth: truth.h. */
#define _GNU_SOURCE
#include "../common/truth.h"

static struct {
  pthread_mutex_t lock;
  pthread_cond_t changed;
  int generation;
} config = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};

static pthread_rwlock_t index_lock = PTHREAD_RWLOCK_INITIALIZER;
static int segment_pipe[2];
static volatile int read_lock_held;
static volatile int watch_lwp, reader_lwp, loader_lwp, writer_lwp;
static volatile unsigned long loader_pthread;

__attribute__((noinline)) int wait_for_change(int seen) {
  pthread_mutex_lock(&config.lock);
  truth("\"event\":\"waits\",\"kind\":\"cond\",\"object\":\"config.changed\",\"address\":\"%p\","
        "\"mutex\":\"%p\"",
        (void *)&config.changed, (void *)&config.lock);
  while (config.generation == seen) pthread_cond_wait(&config.changed, &config.lock);
  seen = config.generation;
  pthread_mutex_unlock(&config.lock);
  return seen;
}

void *watch_config(void *arg) {
  int seen = 0;
  (void)arg;
  truth_thread("cfg-watch");
  watch_lwp = gettid();
  for (;;) seen = wait_for_change(seen);
  return NULL;
}

__attribute__((noinline)) long load_segment(int fd) {
  char buf[256];
  truth("\"event\":\"waits\",\"kind\":\"read\",\"object\":\"segment pipe\",\"fd\":%d", fd);
  return read(fd, buf, sizeof buf);
}

void *loader_main(void *arg) {
  (void)arg;
  truth_thread("loader");
  loader_lwp = gettid();
  return (void *)load_segment(segment_pipe[0]);
}

__attribute__((noinline)) long rebuild_index(void) {
  pthread_t loader;
  void *loaded;
  pthread_rwlock_rdlock(&index_lock);
  truth("\"event\":\"holds\",\"kind\":\"rwlock\",\"mode\":\"read\",\"object\":\"index_lock\","
        "\"address\":\"%p\"",
        (void *)&index_lock);
  read_lock_held = 1;
  pthread_create(&loader, NULL, loader_main, NULL);
  loader_pthread = (unsigned long)loader;
  while (!loader_lwp) truth_sleep_ms(1);
  truth("\"event\":\"waits\",\"kind\":\"join\",\"object\":\"loader\",\"pthread\":\"%#lx\","
        "\"target\":%d",
        (unsigned long)loader, loader_lwp);
  pthread_join(loader, &loaded);
  pthread_rwlock_unlock(&index_lock);
  return (long)loaded;
}

void *reader_main(void *arg) {
  (void)arg;
  truth_thread("index-reader");
  reader_lwp = gettid();
  return (void *)rebuild_index();
}

__attribute__((noinline)) void publish_index(void) {
  truth("\"event\":\"waits\",\"kind\":\"rwlock\",\"mode\":\"write\",\"object\":\"index_lock\","
        "\"address\":\"%p\"",
        (void *)&index_lock);
  pthread_rwlock_wrlock(&index_lock);
  pthread_rwlock_unlock(&index_lock);
}

void *writer_main(void *arg) {
  (void)arg;
  truth_thread("index-writer");
  writer_lwp = gettid();
  while (!read_lock_held) truth_sleep_ms(1);
  publish_index();
  return NULL;
}

int main(int argc, char **argv) {
  pthread_t watcher, reader, writer;
  unsigned long rw = (unsigned long)&index_lock, cv = (unsigned long)&config.changed;

  truth_open(argc, argv);
  truth_thread(NULL);
  if (pipe(segment_pipe) != 0) return 1;
  pthread_create(&watcher, NULL, watch_config, NULL);
  pthread_create(&reader, NULL, reader_main, NULL);
  pthread_create(&writer, NULL, writer_main, NULL);

  truth_await_blocked(&watch_lwp, SYS_FUTEX_NR, cv, cv + sizeof config.changed);
  truth_await_blocked(&loader_lwp, SYS_READ_NR, (unsigned long)segment_pipe[0],
                      (unsigned long)segment_pipe[0] + 1);
  while (!loader_pthread) truth_sleep_ms(1); /* the reader stores it after pthread_create */
  truth_await_blocked(&reader_lwp, SYS_FUTEX_NR, loader_pthread, loader_pthread + 4096);
  truth_await_blocked(&writer_lwp, SYS_FUTEX_NR, rw, rw + sizeof index_lock);
  truth("\"event\":\"waits\",\"kind\":\"join\",\"object\":\"index-writer\",\"pthread\":\"%#lx\","
        "\"target\":%d",
        (unsigned long)writer, writer_lwp);
  truth("\"event\":\"ready\"");
  printf("ready\n");
  fflush(stdout);
  pthread_join(writer, NULL);
  pthread_join(reader, NULL);
  pthread_join(watcher, NULL);
  return 0;
}
