// A service whose cache never evicts, linked with gperftools' tcmalloc, and
// the heap texts tcmalloc writes of it. Every request allocates a 16 KiB
// buffer that it frees (healthy) and inserts a new key and value into a
// cache that nothing ever evicts (the leak).
//
// Writes, in the directory given as the first argument:
//   heap-sample.heap   MallocExtension::GetHeapSample: the sampled live heap
//                      (`heap profile: ... @ heap_v2/N`, TCMALLOC_SAMPLE_PARAMETER)
//   heap-growth.heap   MallocExtension::GetHeapGrowthStacks: the stacks that
//                      grew the heap (`@ growth`)
//   service.0001.heap  the heap profiler's dump (HeapProfilerStart/Dump,
//                      `@ heapprofile`)
#include <gperftools/heap-profiler.h>
#include <gperftools/malloc_extension.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

struct Entry {
  char *key;
  char *value;
  Entry *next;
};

static Entry *cache;

__attribute__((noinline)) static char *render_value(unsigned n) {
  size_t len = 512 + (n % 7) * 512;
  char *value = static_cast<char *>(std::malloc(len));
  std::memset(value, 'v', len);
  return value;
}

__attribute__((noinline)) static void cache_insert(unsigned n) {
  Entry *entry = new Entry;
  entry->key = static_cast<char *>(std::malloc(16));
  std::snprintf(entry->key, 16, "user-%u", n);
  entry->value = render_value(n);
  entry->next = cache;
  cache = entry;
}

__attribute__((noinline)) static void handle_request(unsigned n) {
  char *buffer = static_cast<char *>(std::malloc(16384));
  std::memset(buffer, 0, 16384);
  cache_insert(n);
  std::free(buffer);
}

static void write_file(const std::string &path, const std::string &text) {
  std::ofstream(path) << text;
}

int main(int argc, char **argv) {
  std::string dir = argc > 1 ? argv[1] : ".";
  HeapProfilerStart((dir + "/service").c_str());
  for (unsigned n = 0; n < 20000; n++) handle_request(n);
  HeapProfilerDump("after 20000 requests");
  HeapProfilerStop();
  std::string sample, growth;
  MallocExtension::instance()->GetHeapSample(&sample);
  MallocExtension::instance()->GetHeapGrowthStacks(&growth);
  write_file(dir + "/heap-sample.heap", sample);
  write_file(dir + "/heap-growth.heap", growth);
  std::printf("cache holds %u entries\n", 20000u);
  return 0;
}
