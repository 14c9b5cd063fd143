/* Ground truth for the gdb samples. Every thread reports its LWP, its name
 * and the addresses of the locks it holds or is about to wait on, one JSON
 * object a line, to a side file (argv[1], default "truth.jsonl"). Before it
 * prints "ready", the main thread checks in /proc/self/task/TID/syscall that
 * each thread really sits in the system call it is expected to block in
 * (for a mutex: futex() on the mutex's own address) and writes that too.
 *
 * Lines: {"lwp": writer's LWP, "event": "thread" | "holds" | "waits" |
 * "blocked" | "owner" | "ready", ...}. Works from C and C++. */
#ifndef TRUTH_H
#define TRUTH_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static FILE *truth_file;
static pthread_mutex_t truth_mu = PTHREAD_MUTEX_INITIALIZER;

__attribute__((unused)) static void truth_open(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "truth.jsonl";
  truth_file = fopen(path, "w");
  if (!truth_file) {
    perror(path);
    exit(1);
  }
}

/* One line: {"lwp":<caller's LWP>,<fields>} */
__attribute__((format(printf, 1, 2), unused)) static void truth(const char *fields, ...) {
  va_list ap;
  pthread_mutex_lock(&truth_mu);
  fprintf(truth_file, "{\"lwp\":%d,", (int)gettid());
  va_start(ap, fields);
  vfprintf(truth_file, fields, ap);
  va_end(ap);
  fputs("}\n", truth_file);
  fflush(truth_file);
  pthread_mutex_unlock(&truth_mu);
}

/* Names the calling thread (NULL: keep the name it has) and reports it. */
__attribute__((unused)) static void truth_thread(const char *name) {
  char buf[16];
  if (name) pthread_setname_np(pthread_self(), name);
  pthread_getname_np(pthread_self(), buf, sizeof buf);
  truth("\"event\":\"thread\",\"name\":\"%s\",\"pthread\":\"%#lx\"", buf,
        (unsigned long)pthread_self());
}

__attribute__((unused)) static void truth_sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Waits until *TID is published (non-zero), then until that thread is in
 * system call SYSNO with its first argument in [LO, HI) (any argument when
 * HI <= LO), for at most 20 s; then writes a "blocked" line. */
__attribute__((unused)) static void truth_await_blocked(volatile int *tid, long sysno,
                                                        unsigned long lo, unsigned long hi) {
  char path[64];
  for (int i = 0; i < 2000 && !*tid; i++) truth_sleep_ms(10);
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", *tid);
  for (int i = 0; i < 2000; i++) {
    long nr = -1;
    unsigned long a1 = 0;
    FILE *f = fopen(path, "r");
    if (f) {
      if (fscanf(f, "%ld %lx", &nr, &a1) < 1) nr = -1;
      fclose(f);
    }
    if (nr == sysno && (hi <= lo || (a1 >= lo && a1 < hi))) {
      truth("\"event\":\"blocked\",\"thread\":%d,\"syscall\":%ld,\"arg1\":\"%#lx\"", *tid, nr,
            a1);
      return;
    }
    truth_sleep_ms(10);
  }
  fprintf(stderr, "thread %d never blocked in system call %ld\n", *tid, sysno);
  exit(1);
}

/* The owner glibc records in a locked mutex (its __data.__owner field). */
__attribute__((unused)) static void truth_owner(const char *object, pthread_mutex_t *m) {
  truth("\"event\":\"owner\",\"kind\":\"mutex\",\"object\":\"%s\",\"address\":\"%p\",\"owner\":%d",
        object, (void *)m, m->__data.__owner);
}

#define SYS_READ_NR 0
#define SYS_FUTEX_NR 202
#define SYS_CLOCK_NANOSLEEP_NR 230

#endif
