/* Lock-order (AB-BA) deadlock on two global pthread mutexes.
 *
 * "place-order" locks `orders` then `inventory`; "restock" locks `inventory`
 * then `orders`; a barrier makes both hold their first mutex before they ask
 * for the second. Three "idle-N" threads sleep in a loop, and main joins
 * "place-order". The program writes its own ground truth (LWPs, names, the
 * mutexes' addresses, what each thread holds and waits for, and the
 * `__owner` glibc keeps in each mutex) to the file named by its argument,
 * then prints "ready".
 *
 * The program of samples/native/lock-order/programs/main.c for a run under
 * user-mode emulation (qemu-aarch64): only the wait for the two threads to
 * block differs, as /proc shows the emulator's system calls, not the
 * program's. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

pthread_mutex_t orders = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t inventory = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t both_hold_one;
static long lwps[5];
static long open_orders, stock;

static void *place_order(void *arg) {
  (void)arg;
  __atomic_store_n(&lwps[0], syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  pthread_mutex_lock(&orders);
  open_orders++;
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&inventory); /* blocks: restock holds inventory */
  stock--;
  pthread_mutex_unlock(&inventory);
  pthread_mutex_unlock(&orders);
  return NULL;
}

static void *restock(void *arg) {
  (void)arg;
  __atomic_store_n(&lwps[1], syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  pthread_mutex_lock(&inventory);
  stock += 10;
  pthread_barrier_wait(&both_hold_one);
  pthread_mutex_lock(&orders); /* blocks: place-order holds orders */
  open_orders--;
  pthread_mutex_unlock(&orders);
  pthread_mutex_unlock(&inventory);
  return NULL;
}

static void *idle_loop(void *arg) {
  __atomic_store_n(&lwps[2 + (long)arg], syscall(SYS_gettid), __ATOMIC_SEQ_CST);
  for (;;)
    sleep(60);
  return NULL;
}

/* Under user-mode emulation /proc shows the emulator's own system calls,
 * so a waiter is recognized by the mutex word: glibc sets it to 2 when a
 * thread sleeps on it. */
static void wait_on_futex(int index, void *addr) {
  while (!__atomic_load_n(&lwps[index], __ATOMIC_SEQ_CST))
    usleep(1000);
  for (int i = 0; i < 600; i++) {
    if (__atomic_load_n((int *)addr, __ATOMIC_SEQ_CST) == 2) {
      usleep(200000);
      return;
    }
    usleep(10000);
  }
  fprintf(stderr, "nobody blocked on %p\n", addr);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  pthread_t t[5];
  const char *names[5] = {"place-order", "restock", "idle-1", "idle-2", "idle-3"};
  pthread_barrier_init(&both_hold_one, NULL, 2);
  for (long i = 0; i < 3; i++) {
    pthread_create(&t[2 + i], NULL, idle_loop, (void *)i);
    pthread_setname_np(t[2 + i], names[2 + i]);
  }
  pthread_create(&t[0], NULL, place_order, NULL);
  pthread_setname_np(t[0], names[0]);
  pthread_create(&t[1], NULL, restock, NULL);
  pthread_setname_np(t[1], names[1]);
  wait_on_futex(0, &inventory);
  wait_on_futex(1, &orders);
  for (int i = 2; i < 5; i++)
    while (!__atomic_load_n(&lwps[i], __ATOMIC_SEQ_CST))
      usleep(1000);
  FILE *out = fopen(argv[1], "w");
  if (!out)
    return 1;
  fprintf(out,
          "{\"program\": \"lock-order (C, emulated aarch64)\", \"pid\": %d, \"main_lwp\": %d,\n"
          " \"locks\": {\"orders\": {\"address\": \"%p\", \"glibc_owner\": %d, \"holder\": \"place-order\"},\n"
          "           \"inventory\": {\"address\": \"%p\", \"glibc_owner\": %d, \"holder\": \"restock\"}},\n"
          " \"threads\": [\n",
          getpid(), getpid(), (void *)&orders, orders.__data.__owner, (void *)&inventory,
          inventory.__data.__owner);
  fprintf(out, "  {\"lwp\": %ld, \"name\": \"place-order\", \"holds\": [\"orders\"], \"waits\": {\"kind\": \"mutex\", \"lock\": \"inventory\"}},\n", lwps[0]);
  fprintf(out, "  {\"lwp\": %ld, \"name\": \"restock\", \"holds\": [\"inventory\"], \"waits\": {\"kind\": \"mutex\", \"lock\": \"orders\"}},\n", lwps[1]);
  for (int i = 2; i < 5; i++)
    fprintf(out, "  {\"lwp\": %ld, \"name\": \"%s\", \"holds\": [], \"waits\": {\"kind\": \"sleep\"}},\n", lwps[i], names[i]);
  fprintf(out, "  {\"lwp\": %d, \"name\": \"main\", \"holds\": [], \"waits\": {\"kind\": \"join\", \"thread\": \"place-order\"}}\n ],\n", getpid());
  fprintf(out, " \"deadlock\": {\"threads\": [\"place-order\", \"restock\"], \"locks\": [\"orders\", \"inventory\"]}}\n");
  fclose(out);
  if (orders.__data.__owner != lwps[0] || inventory.__data.__owner != lwps[1]) {
    fprintf(stderr, "owners are not the expected threads\n");
    return 1;
  }
  printf("ready\n");
  fflush(stdout);
  pthread_join(t[0], NULL);
  return 0;
}
