#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from the committed samples:
# fuzz/seeds/<target>/, one file per sample (text cut at 16 KiB so the fuzzer
# stays fast; compressed files whole when small), plus the committed
# regression inputs. `cargo fuzz run <target> fuzz/corpus/<target> fuzz/seeds/<target>`
# then grows its corpus from them (docs/fuzzing.md).
set -eu
cd "$(dirname "$0")"
samples=../samples
max=16384
rm -rf seeds
mkdir -p seeds/{go,java,native,python,heap,input,report,diff,core}

# The dump files of a directory tree: what the samples' programs wrote, not
# the programs, scripts, expectations or binaries beside them.
dumps() {
  find "$@" -type f \( -name '*.txt' -o -name '*.json' -o -name '*.jsonl' -o -name '*.heap' \
    -o -name '*.log' -o -name '*.md' -o -name '*.gz' -o -name '*.zst' \) \
    ! -name 'expected.json' ! -name 'truth.jsonl' ! -name 'README.md' ! -name 'manifest.json' \
    ! -path '*/programs/*' ! -name 'versions.txt' 2>/dev/null | sort
}

# seed TARGET FILE: copies FILE as a seed of TARGET (named after its path).
seed() {
  local target=$1 file=$2 name
  name=$(echo "${file#"$samples"/}" | tr '/' '_')
  case "$file" in
    *.gz|*.zst|*.pb*) [ "$(stat -c %s "$file")" -le $max ] && cp "$file" "seeds/$target/$name" || true ;;
    *) head -c $max "$file" > "seeds/$target/$name" ;;
  esac
}

for f in $(dumps $samples/go $samples/go-forms $samples/gobench $samples/ext | grep -v '/pprof/'); do seed go "$f"; done
for f in $(dumps $samples/java); do seed java "$f"; done
for f in $(dumps $samples/native $samples/rust | grep -v -e jemalloc -e tcmalloc -e dhat); do seed native "$f"; done
for f in $(dumps $samples/python); do seed python "$f"; done
for f in $(dumps $samples/go/*/pprof $samples/native/jemalloc-* $samples/native/tcmalloc-* $samples/native/dhat-*); do
  seed heap "$f"
done
for f in $(dumps $samples/messy); do seed input "$f"; done
for f in $(dumps $samples/go/*/pprof | grep '\.gz$' | head -20); do seed input "$f"; done

# ELF cores: each committed core decompressed and shrunk to its notes, its
# small segments and the pages around each thread's stack pointer (a few
# hundred KiB, fuzz/shrink-core.py); and the first 64 KiB of each (headers
# and notes, then cut: a truncated core).
for f in $(find $samples/core -name '*core.zst' | sort); do
  name=$(echo "${f#"$samples"/}" | tr '/' '_')
  name=${name%.zst}
  zstd -dcq "$f" > seeds/core/.raw
  python3 shrink-core.py seeds/core/.raw "seeds/core/$name"
  head -c 65536 seeds/core/.raw > "seeds/core/cut-$name"
  rm -f seeds/core/.raw
done

# The pipeline: the smallest few dumps of every family, and the messy inputs.
for family in go java native python heap input; do
  ls -S -r seeds/$family | head -25 | while read -r f; do cp "seeds/$family/$f" seeds/report/; done
done
# A diff: two dumps of one program (the same form, or two forms), joined
# by the separator the diff target splits at.
for dir in $samples/go/*/ $samples/java/*/ $samples/python/*/; do
  files=($(dumps "$dir" | grep -v '/pprof/' | head -3))
  [ ${#files[@]} -ge 2 ] || continue
  name=$(basename "$dir")
  { head -c $max "${files[0]}"; printf '\n====\n'; head -c $max "${files[1]}"; } > "seeds/diff/$name"
done
for dir in $samples/go/*/pprof/ $samples/native/jemalloc-*/ $samples/native/tcmalloc-*/; do
  files=($(dumps "$dir" | grep -v '\.gz$' | head -2))
  [ ${#files[@]} -ge 2 ] || continue
  name=heap-$(basename "$(dirname "$dir")")-$(basename "$dir")
  { head -c $max "${files[0]}"; printf '\n====\n'; head -c $max "${files[1]}"; } > "seeds/diff/$name"
done

# What once crashed stays in every corpus.
for target in seeds/*; do
  t=$(basename "$target")
  [ -d "regressions/$t" ] && cp regressions/"$t"/* "seeds/$t/" 2>/dev/null || true
done
for target in seeds/*; do echo "$(basename "$target"): $(ls "$target" | wc -l) files, $(du -sh "$target" | cut -f1)"; done
