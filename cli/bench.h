// `headkv bench`: the M7 measurements on one GPU, all with CUDA events or a synchronised host
// clock, warm-up first and the median of --runs repetitions: the card's ceilings (bf16 GEMM rate,
// device copy bandwidth), prefill, batch-1 decode, a 12-config sweep on one sample (shared
// prefill + batched decode) against the same configs run one by one, and cache sizes against the
// entries formula. Prints a table and writes JSON.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "compression/config.h"
#include "formats/config.h"

namespace hkv::cli {

struct BenchOptions {
  std::string model;            // HF folder or .gguf (a random Llama-3-8B-shaped model for M7)
  bool random_weights = false;  // --random-weights: `model` is a folder with config.json
  std::string dtype = "bf16";
  int64_t tokens = 8192;     // prompt length
  int32_t new_tokens = 128;  // decode steps per config (no early stop)
  int32_t runs = 5;          // timed repetitions (median reported)
  bool one_by_one = true;    // the sweep's configs also run one at a time (--no-one-by-one: not)
  std::string head_scores;   // HeadKV-R2 score file for the sweep (else the sweep has none)
  std::string what = "all";  // all | ceilings | prefill | decode | sweep | linear
  std::string out = "bench.json";
  std::string device = "cuda";  // cuda | cpu (bench_cpu.cc: SGEMM rate and prefill)
  int32_t tp = 0;               // > 0: the tensor-parallel engine over GPUs 0..tp-1 (bench_tp.cc)
};

int run_bench(const BenchOptions& options);

// `headkv bench --device cpu`: the machine's SGEMM rate through the engine's GEMM (OpenBLAS,
// split over headkv's threads) and the CPU engine's prefill of --tokens random ids, median of
// --runs after a warm-up, with its rate as a fraction of the SGEMM rate.
int run_bench_cpu(const BenchOptions& options);

// `headkv bench --tp N`: the tensor-parallel GPU engine over GPUs 0..N-1 (N = 1: one GPU through
// NCCL as a group of one). FullKV prefill and decode ms/step, and the 12-config sweep, with
// contiguous and (given --head-scores) balanced KV-head placement side by side; medians of --runs
// after a warm-up.
int run_bench_tp(const BenchOptions& options);

// The benchmarks' prompt: `tokens` ids drawn with a fixed seed over the vocabulary, BOS first
// when the model has one (the same prompt for every engine and run).
std::vector<int32_t> bench_prompt(const model::LlamaConfig& config, int64_t tokens);

// FLOPs of a prefill of L tokens: every projection, causal attention (QK^T and PV over the
// visible half) and the LM head of the last token.
double prefill_flops(const model::LlamaConfig& config, int64_t L);

// The sweep phase's grid, built by the sweep expansion (jobs::expand_method_grid): FullKV;
// HeadKV-R2 at budget 128 with betas 1.005 .. 2.0 when `head_scores` is given; SnapKV, PyramidKV
// and Ada-SnapKV at budget 128.
Result<std::vector<compression::CompressionConfig>> bench_sweep_grid(
    const std::string& head_scores);

}  // namespace hkv::cli
