/* A writer holds a global pthread rwlock and sleeps; another writer and a
 * reader block on it, and main joins the blocked writer. The program writes
 * its own record (LWPs, the lock's address and the `__cur_writer` glibc
 * keeps in it) to the file named by its argument once both waiters sit in
 * futex() on the lock, then prints "ready". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static long lwps[3];
static pthread_barrier_t held;

static void *holder(void *arg) {
  (void)arg;
  __atomic_store_n(&lwps[0], syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  pthread_rwlock_wrlock(&table_lock);
  pthread_barrier_wait(&held);
  for (;;)
    sleep(60);
  return NULL;
}

static void *rewrite(void *arg) {
  (void)arg;
  __atomic_store_n(&lwps[1], syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  pthread_rwlock_wrlock(&table_lock); /* blocks: holder writes */
  pthread_rwlock_unlock(&table_lock);
  return NULL;
}

static void *lookup(void *arg) {
  (void)arg;
  __atomic_store_n(&lwps[2], syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  pthread_rwlock_rdlock(&table_lock); /* blocks: holder writes */
  pthread_rwlock_unlock(&table_lock);
  return NULL;
}

/* Whether thread `lwp` sits in futex(). */
static int in_futex(long lwp) {
  char path[64];
  long nr = -1;
  snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", lwp);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  int ok = fscanf(f, "%ld", &nr) == 1;
  fclose(f);
  return ok && nr == SYS_futex;
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  pthread_t t[3];
  pthread_barrier_init(&held, NULL, 2);
  pthread_create(&t[0], NULL, holder, NULL);
  pthread_setname_np(t[0], "holder");
  pthread_barrier_wait(&held);
  pthread_create(&t[1], NULL, rewrite, NULL);
  pthread_setname_np(t[1], "rewrite");
  pthread_create(&t[2], NULL, lookup, NULL);
  pthread_setname_np(t[2], "lookup");
  for (int i = 1; i < 3; i++) {
    int n = 0;
    while (!__atomic_load_n(&lwps[i], __ATOMIC_SEQ_CST) || !in_futex(lwps[i])) {
      usleep(10000);
      if (++n > 600)
        return 1;
    }
  }
  FILE *out = fopen(argv[1], "w");
  if (!out)
    return 1;
  fprintf(out,
          "{\"program\": \"rwlock (C)\", \"pid\": %d, \"main_lwp\": %d,\n"
          " \"locks\": {\"table_lock\": {\"address\": \"%p\", \"glibc_cur_writer\": %d, \"holder\": \"holder\"}},\n"
          " \"threads\": [\n"
          "  {\"lwp\": %ld, \"name\": \"holder\", \"holds\": [\"table_lock\"], \"waits\": {\"kind\": \"sleep\"}},\n"
          "  {\"lwp\": %ld, \"name\": \"rewrite\", \"holds\": [], \"waits\": {\"kind\": \"rwlock-write\", \"lock\": \"table_lock\"}},\n"
          "  {\"lwp\": %ld, \"name\": \"lookup\", \"holds\": [], \"waits\": {\"kind\": \"rwlock-read\", \"lock\": \"table_lock\"}},\n"
          "  {\"lwp\": %d, \"name\": \"main\", \"holds\": [], \"waits\": {\"kind\": \"join\", \"thread\": \"rewrite\"}}\n ]}\n",
          getpid(), getpid(), (void *)&table_lock, table_lock.__data.__cur_writer, lwps[0], lwps[1], lwps[2],
          getpid());
  fclose(out);
  printf("ready\n");
  fflush(stdout);
  pthread_join(t[1], NULL);
  return 0;
}
