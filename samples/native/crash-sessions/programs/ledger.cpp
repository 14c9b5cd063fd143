// A ledger report: a worker thread sums the width of every entry's memo;
// one entry has no memo (a null pointer), so strlen faults in the worker.
// Run with any argument to crash, without to finish normally.
#include <cstdio>
#include <cstring>
#include <thread>
#include <utility>
#include <vector>

struct Entry {
  const char *memo;
  long cents;
};

static inline __attribute__((always_inline)) size_t memo_len(const Entry *e) {
  return std::strlen(e->memo);
}

class Ledger {
 public:
  explicit Ledger(std::vector<const Entry *> entries) : entries_(std::move(entries)) {}
  __attribute__((noinline)) size_t memo_width() const {
    size_t width = 0;
    for (const Entry *e : entries_) width += memo_len(e);
    return width;
  }
  __attribute__((noinline)) long total() const {
    long cents = 0;
    for (const Entry *e : entries_) cents += e->cents;
    return cents;
  }

 private:
  std::vector<const Entry *> entries_;
};

__attribute__((noinline)) static void report(const Ledger &ledger) {
  std::printf("memo width %zu, total %ld\n", ledger.memo_width(), ledger.total());
}

int main(int argc, char **) {
  static const Entry rent{"rent", 100000}, refund{nullptr, -2500};
  Ledger ledger({&rent, argc > 1 ? &refund : &rent});
  std::thread worker([&ledger] { report(ledger); });
  worker.join();
  return 0;
}
