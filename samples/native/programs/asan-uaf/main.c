/* A session cache with a heap-use-after-free: close_session() frees the
 * session but leaves it in the table, and a later audit pass reads its name
 * through it. Built with -fsanitize=address.
 *
 * Access: main -> audit_sessions -> audit_one -> session_name_len (always
 * inlined into audit_one). Free: main -> expire_idle -> close_session.
 * Allocation: main -> open_sessions -> session_new. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct session {
  int id;
  int idle;
  char name[24];
};

static struct session *table[8];

__attribute__((noinline)) struct session *session_new(int id) {
  struct session *s = malloc(sizeof *s);
  s->id = id;
  s->idle = id % 3 == 1;
  snprintf(s->name, sizeof s->name, "session-%d", id);
  return s;
}

__attribute__((noinline)) void open_sessions(int n) {
  for (int i = 0; i < n; i++) table[i] = session_new(i);
}

__attribute__((noinline)) void close_session(struct session *s) {
  free(s); /* the bug: table[] still points to it */
}

__attribute__((noinline)) int expire_idle(int n) {
  int closed = 0;
  for (int i = 0; i < n; i++)
    if (table[i]->idle) {
      close_session(table[i]);
      closed++;
    }
  return closed;
}

static inline __attribute__((always_inline)) size_t session_name_len(const struct session *s) {
  return strnlen(s->name, sizeof s->name) + (size_t)s->id;
}

__attribute__((noinline)) size_t audit_one(const struct session *s) {
  size_t len = session_name_len(s);
  return len * 2;
}

__attribute__((noinline)) size_t audit_sessions(int n) {
  size_t total = 0;
  for (int i = 0; i < n; i++) total += audit_one(table[i]);
  return total;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 4;
  if (n > 8) n = 8;
  open_sessions(n);
  printf("closed %d\n", expire_idle(n));
  printf("audit %zu\n", audit_sessions(n));
  return 0;
}
