// An AB-BA deadlock between two std::threads on std::mutex/std::lock_guard,
// inside class templates, so gdb's frame names are long.
//
// Two ledgers (warehouse::detail::GuardedLedger<std::string, std::vector<
// std::pair<std::string, long>>>), "east" and "west". rebalance-ew moves a
// SKU from east to west, rebalance-we from west to east, through
// warehouse::Reconciler<...>::move_between<Fn>(from, to, key, adjust):
//   std::lock_guard<std::mutex> (from.mutex_); rendezvous; std::lock_guard
//   (to.mutex_)
// The rendezvous makes sure each holds its first ledger before asking for
// the second, so the deadlock is certain. main waits in std::thread::join.
//
// Built -O1 -g (lock_guard, std::mutex::lock and __gthread_mutex_lock are
// inlined; move_between is kept out of line). Ground truth: truth.h.
#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../common/truth.h"

namespace warehouse {
namespace detail {

template <typename Key, typename Value, typename Compare = std::less<Key>>
class GuardedLedger {
 public:
  using map_type = std::map<Key, Value, Compare>;

  explicit GuardedLedger(std::string name) : name_(std::move(name)) {}

  std::mutex mutex_;
  map_type entries_;
  std::string name_;
};

}  // namespace detail

template <typename Key, typename Value>
class Reconciler {
 public:
  using ledger_type = detail::GuardedLedger<Key, Value>;

  explicit Reconciler(int parties) : parties_(parties) {}

  template <typename Fn>
  __attribute__((noinline)) std::size_t move_between(ledger_type& from, ledger_type& to,
                                                     const Key& key, Fn&& adjust) {
    std::lock_guard<std::mutex> first(from.mutex_);
    truth("\"event\":\"holds\",\"kind\":\"mutex\",\"object\":\"%s.mutex_\",\"address\":\"%p\"",
          from.name_.c_str(), static_cast<void*>(&from.mutex_));
    rendezvous();
    truth("\"event\":\"waits\",\"kind\":\"mutex\",\"object\":\"%s.mutex_\",\"address\":\"%p\"",
          to.name_.c_str(), static_cast<void*>(&to.mutex_));
    std::lock_guard<std::mutex> second(to.mutex_);
    auto node = from.entries_.extract(key);
    if (node.empty()) return 0;
    adjust(node.mapped());
    std::size_t moved = node.mapped().size();
    to.entries_.insert(std::move(node));
    return moved;
  }

 private:
  void rendezvous() {
    arrived_.fetch_add(1);
    while (arrived_.load() < parties_) std::this_thread::yield();
  }

  std::atomic<int> arrived_{0};
  const int parties_;
};

}  // namespace warehouse

namespace {

using Lots = std::vector<std::pair<std::string, long>>;
using Ledger = warehouse::detail::GuardedLedger<std::string, Lots>;

volatile int lwp_ew, lwp_we;

}  // namespace

int main(int argc, char** argv) {
  truth_open(argc, argv);
  truth_thread(nullptr);

  Ledger east("east"), west("west");
  east.entries_["sku-1042"] = {{"lot-7", 12}, {"lot-9", 30}};
  west.entries_["sku-2203"] = {{"lot-3", 5}};
  warehouse::Reconciler<std::string, Lots> reconciler(2);

  auto stamp = [](Lots& lots) {
    for (auto& lot : lots) lot.second += 1;
  };

  std::thread east_to_west([&] {
    truth_thread("rebalance-ew");
    lwp_ew = gettid();
    reconciler.move_between(east, west, std::string("sku-1042"), stamp);
  });
  std::thread west_to_east([&] {
    truth_thread("rebalance-we");
    lwp_we = gettid();
    reconciler.move_between(west, east, std::string("sku-2203"), stamp);
  });

  auto at = [](std::mutex& m) { return reinterpret_cast<unsigned long>(&m); };
  truth_await_blocked(&lwp_ew, SYS_FUTEX_NR, at(west.mutex_), at(west.mutex_) + 1);
  truth_await_blocked(&lwp_we, SYS_FUTEX_NR, at(east.mutex_), at(east.mutex_) + 1);
  truth_owner("east.mutex_", east.mutex_.native_handle());
  truth_owner("west.mutex_", west.mutex_.native_handle());
  truth("\"event\":\"waits\",\"kind\":\"join\",\"object\":\"rebalance-ew\",\"pthread\":\"%#lx\","
        "\"target\":%d",
        static_cast<unsigned long>(east_to_west.native_handle()), lwp_ew);
  truth("\"event\":\"ready\"");
  printf("ready\n");
  fflush(stdout);
  east_to_west.join();
  west_to_east.join();
  return 0;
}
