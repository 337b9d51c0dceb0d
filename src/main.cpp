// The only code the tests do not link: everything else is in the gateway library.
#include <malloc.h>

#include "app/cli.h"

int main(int argc, char** argv) {
  // Buffers of 4 MiB and more (run-state snapshots of large registries, the registry's records
  // at the start) come from mmap and go back to the system when freed: glibc's default, an
  // mmap threshold that rises with the largest buffer freed, kept ~90 MiB of freed heap at
  // 100,000 devices (bench/README.md, S5).
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  // Setting the mmap threshold also fixes the trim threshold at 128 KiB: every thread's heap
  // then gave memory back and took it again for each chunk of records (madvise, page faults).
  // Up to 8 MiB of a heap's free top stays: ~5 % of a virtual Kafka run (bench/README.md, S3).
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
  // No fastbins: with millions of small records and librdkafka messages freed per minute, their
  // consolidation on every larger request cost ~5 % of a virtual run (bench/README.md, S3).
  mallopt(M_MXFAST, 0);
  return gw::cli_main(argc, argv);
}
