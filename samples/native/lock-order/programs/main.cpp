// Lock-order (AB-BA) deadlock on two global std::mutex.
//
// "place-order" takes `orders` then `inventory` with std::lock_guard,
// "restock" takes `inventory` then `orders`; a barrier makes both hold their
// first mutex before they ask for the second. Three "idle-N" threads sleep in
// a loop, and main joins "place-order". The program writes its own ground
// truth to the file named by its argument, then prints "ready".
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <pthread.h>
#include <sys/syscall.h>
#include <thread>
#include <unistd.h>

std::mutex orders;
std::mutex inventory;
static pthread_barrier_t both_hold_one;
static std::atomic<long> lwps[5];
static long open_orders, stock;

static void place_order() {
  lwps[0] = syscall(SYS_gettid);
  std::lock_guard<std::mutex> order_guard(orders);
  open_orders++;
  pthread_barrier_wait(&both_hold_one);
  std::lock_guard<std::mutex> stock_guard(inventory); // blocks: restock holds inventory
  stock--;
}

static void restock() {
  lwps[1] = syscall(SYS_gettid);
  std::lock_guard<std::mutex> stock_guard(inventory);
  stock += 10;
  pthread_barrier_wait(&both_hold_one);
  std::lock_guard<std::mutex> order_guard(orders); // blocks: place-order holds orders
  open_orders--;
}

static void idle_loop(int index) {
  lwps[2 + index] = syscall(SYS_gettid);
  for (;;)
    std::this_thread::sleep_for(std::chrono::seconds(60));
}

static bool in_syscall(long lwp, long *nr, unsigned long *arg1) {
  char path[64], buf[256];
  std::snprintf(path, sizeof path, "/proc/self/task/%ld/syscall", lwp);
  FILE *f = std::fopen(path, "r");
  if (!f)
    return false;
  bool ok = std::fgets(buf, sizeof buf, f) != nullptr;
  std::fclose(f);
  return ok && std::sscanf(buf, "%ld %lx", nr, arg1) == 2;
}

static void wait_on_futex(int index, const void *addr) {
  long lwp;
  while (!(lwp = lwps[index].load()))
    usleep(1000);
  for (int i = 0; i < 600; i++) {
    long nr;
    unsigned long arg1;
    if (in_syscall(lwp, &nr, &arg1) && nr == SYS_futex && arg1 == (unsigned long)addr)
      return;
    usleep(10000);
  }
  std::fprintf(stderr, "thread %ld never blocked on %p\n", lwp, addr);
  std::exit(1);
}

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  const char *names[5] = {"place-order", "restock", "idle-1", "idle-2", "idle-3"};
  pthread_barrier_init(&both_hold_one, nullptr, 2);
  std::thread idle[3];
  for (int i = 0; i < 3; i++) {
    idle[i] = std::thread(idle_loop, i);
    pthread_setname_np(idle[i].native_handle(), names[2 + i]);
  }
  std::thread placer(place_order);
  pthread_setname_np(placer.native_handle(), names[0]);
  std::thread restocker(restock);
  pthread_setname_np(restocker.native_handle(), names[1]);
  wait_on_futex(0, &inventory);
  wait_on_futex(1, &orders);
  for (int i = 2; i < 5; i++)
    while (!lwps[i].load())
      usleep(1000);
  int orders_owner = orders.native_handle()->__data.__owner;
  int inventory_owner = inventory.native_handle()->__data.__owner;
  FILE *out = std::fopen(argv[1], "w");
  if (!out)
    return 1;
  std::fprintf(out,
               "{\"program\": \"lock-order (C++)\", \"pid\": %d, \"main_lwp\": %d,\n"
               " \"locks\": {\"orders\": {\"address\": \"%p\", \"glibc_owner\": %d, \"holder\": \"place-order\"},\n"
               "           \"inventory\": {\"address\": \"%p\", \"glibc_owner\": %d, \"holder\": \"restock\"}},\n"
               " \"threads\": [\n",
               getpid(), getpid(), (void *)&orders, orders_owner, (void *)&inventory, inventory_owner);
  std::fprintf(out, "  {\"lwp\": %ld, \"name\": \"place-order\", \"holds\": [\"orders\"], \"waits\": {\"kind\": \"mutex\", \"lock\": \"inventory\"}},\n", lwps[0].load());
  std::fprintf(out, "  {\"lwp\": %ld, \"name\": \"restock\", \"holds\": [\"inventory\"], \"waits\": {\"kind\": \"mutex\", \"lock\": \"orders\"}},\n", lwps[1].load());
  for (int i = 2; i < 5; i++)
    std::fprintf(out, "  {\"lwp\": %ld, \"name\": \"%s\", \"holds\": [], \"waits\": {\"kind\": \"sleep\"}},\n", lwps[i].load(), names[i]);
  std::fprintf(out, "  {\"lwp\": %d, \"name\": \"main\", \"holds\": [], \"waits\": {\"kind\": \"join\", \"thread\": \"place-order\"}}\n ],\n", getpid());
  std::fprintf(out, " \"deadlock\": {\"threads\": [\"place-order\", \"restock\"], \"locks\": [\"orders\", \"inventory\"]}}\n");
  std::fclose(out);
  if (orders_owner != lwps[0].load() || inventory_owner != lwps[1].load()) {
    std::fprintf(stderr, "owners are not the expected threads\n");
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  placer.join();
  return 0;
}
