// jemalloc's settings for the dashstream program (linked only with
// DS_JEMALLOC; the MALLOC_CONF environment variable still overrides them).
//
// Freed pages go back to the kernel after 100 ms instead of jemalloc's
// default 10 s. pipeline.memory_budget_bytes bounds peak RSS, and records
// churn through the heap at the producers' rate: with the default decay,
// pages freed by one burst stayed resident while the next was allocated,
// often in another thread's arena, which took the 128 MiB memory-budget
// test to 102-109 % of its budget under CPU contention. Handing pages back
// at once (0 ms) cost 2.7x the CPU per record in `bench ingest-100b`;
// 100 ms costs next to nothing (docs/tuning.md, "The memory budget").
// allocator_governor caps what is kept whatever the decay.
extern "C" {
// NOLINTNEXTLINE: jemalloc reads this exact global name.
const char* malloc_conf = "dirty_decay_ms:100,muzzy_decay_ms:0";
}
