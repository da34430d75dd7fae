// Forward pass. Shapes: hidden H, q width Hq*D, kv width Hkv*D; activations are row-major
// [rows, width]. RMSNorm follows transformers' float32 math; softmax and SwiGLU are vectorised
// (softmax.h).
#include "cpu_engine/cpu_model.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/parallel.h"
#include "cpu_engine/cpu_blas.h"
#include "cpu_engine/softmax.h"
#include "cpu_engine/tensor_parallel.h"

namespace hkv::model {
namespace {

// Query rows per block of the causal prefill attention: a task's score scratch is
// [kAttnBlock, n].
constexpr int64_t kAttnBlock = 128;

// One block of causal attention for one query head: for query rows [i0, i1),
// S = Q K[0, i1)^T * scale (one GEMM), each row's softmax over its visible keys, then
// O = S V[0, i1) (one GEMM; the masked entries are exact zeros). Per element the same dot
// products, in the same order, as one [n, n] GEMM with a masked softmax: only the keys no row of
// the block can see are skipped.
void causal_attention_block(const float* q,  // [n, ldq]: this head's D columns
                            int64_t ldq,
                            const float* k,  // [n, D]
                            const float* v,  // [n, D]
                            float* out,      // [n, ldo]: this head's D columns
                            int64_t ldo,
                            int64_t i0,
                            int64_t i1,
                            int64_t D,
                            float scale,
                            std::vector<float>* scratch) {
  const int64_t rows = i1 - i0;
  scratch->resize(rows * i1);
  float* s = scratch->data();  // [rows, i1]
  gemm_f32_strided(q + i0 * ldq, ldq, k, D, true, s, i1, rows, i1, D, scale, false);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t visible = i0 + r + 1;
    softmax_inplace(&s[r * i1], visible);
    std::fill(&s[r * i1 + visible], &s[r * i1 + i1], 0.0f);
  }
  gemm_f32_strided(s, i1, v, D, false, out + i0 * ldo, ldo, rows, D, i1, 1.0f, false);
}

}  // namespace

CpuModel::CpuModel(LlamaConfig config, LlamaWeights weights)
    : config_(std::move(config)), weights_(std::move(weights)), rope_(config_) {}

Result<CpuModel> CpuModel::load(const ModelSource& source) {
  HKV_ASSIGN_OR_RETURN(LlamaWeights weights, load_weights(source));
  return CpuModel(source.config(), std::move(weights));
}

void CpuModel::rms_norm(const float* x, const HostTensor& w, float* out, int64_t rows) const {
  int64_t h = config_.hidden_size;
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * h;
    float* o = out + r * h;
    float ss = 0.0f;
    for (int64_t i = 0; i < h; ++i) {
      ss += xr[i] * xr[i];
    }
    float scale =
        1.0f / std::sqrt(ss / static_cast<float>(h) + static_cast<float>(config_.rms_norm_eps));
    for (int64_t i = 0; i < h; ++i) {
      o[i] = w.data[i] * (xr[i] * scale);
    }
  }
}

Status CpuModel::add_row_parallel(
    const float* in, const HostTensor& w, float* x, int64_t rows, int64_t k) const {
  const int64_t h = config_.hidden_size;
  if (tp_ == nullptr) {
    gemm_f32_nt(in, w.data.data(), x, rows, h, k, /*accumulate=*/true);
    return Status();
  }
  std::vector<float> partial(rows * h);  // [rows, H]: this rank's share of the product
  gemm_f32_nt(in, w.data.data(), partial.data(), rows, h, k, /*accumulate=*/false);
  HKV_RETURN_IF_ERROR(tp_->comm->all_reduce_sum(partial));
  for (int64_t i = 0; i < rows * h; ++i) {
    x[i] += partial[i];
  }
  return Status();
}

Status CpuModel::mlp_residual(const LayerWeights& L, float* x, int64_t rows) const {
  int64_t h = config_.hidden_size, f = config_.intermediate_size;
  std::vector<float> xn(rows * h), gate(rows * f), up(rows * f);
  rms_norm(x, L.ffn_norm, xn.data(), rows);
  gemm_f32_nt(xn.data(), L.w_gate.data.data(), gate.data(), rows, f, h, false);
  gemm_f32_nt(xn.data(), L.w_up.data.data(), up.data(), rows, f, h, false);
  parallel_for(rows * f, 16384, [&](int64_t begin, int64_t end) {
    silu_mul_inplace(&gate[begin], &up[begin], end - begin);
  });
  return add_row_parallel(gate.data(), L.w_down, x, rows, f);
}

Status CpuModel::logits_for(const float* x, int64_t rows, float* out) const {
  int64_t h = config_.hidden_size;
  std::vector<float> xn(rows * h);
  rms_norm(x, weights_.output_norm, xn.data(), rows);
  const HostTensor& head = config_.tie_word_embeddings ? weights_.token_embd : weights_.lm_head;
  if (tp_ == nullptr) {
    gemm_f32_nt(xn.data(), head.data.data(), out, rows, config_.vocab_size, h, false);
    return Status();
  }
  return tp_->gather_logits(xn.data(), head, rows, out);
}

Result<PrefillOutput> CpuModel::prefill(std::span<const int32_t> ids,
                                        int32_t window,
                                        bool all_logits) const {
  const LlamaConfig& c = config_;
  int64_t n = static_cast<int64_t>(ids.size());
  if (n == 0) {
    return errorf(StatusCode::kInvalidArgument, "prefill: empty prompt");
  }
  for (int32_t id : ids) {
    if (id < 0 || id >= c.vocab_size) {
      return errorf(StatusCode::kInvalidArgument, "prefill: token id %d outside the vocab (%d)", id,
                    c.vocab_size);
    }
  }
  const int64_t h = c.hidden_size, D = c.head_dim, Hq = c.num_q_heads, Hkv = c.num_kv_heads;
  const int64_t qw = Hq * D, kvw = Hkv * D, G = Hq / Hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  PrefillOutput out;
  out.num_tokens = n;
  out.window_rows = static_cast<int32_t>(std::min<int64_t>(window, n));
  out.layers.resize(c.num_layers);

  std::vector<float> x(n * h), xn(n * h), q(n * qw), k(n * kvw), v(n * kvw), attn(n * qw);
  for (int64_t t = 0; t < n; ++t) {
    std::memcpy(&x[t * h], &weights_.token_embd.data[static_cast<int64_t>(ids[t]) * h],
                sizeof(float) * h);
  }
  for (int32_t l = 0; l < c.num_layers; ++l) {
    const LayerWeights& L = weights_.layers[l];
    rms_norm(x.data(), L.attn_norm, xn.data(), n);
    gemm_f32_nt(xn.data(), L.wq.data.data(), q.data(), n, qw, h, false);
    gemm_f32_nt(xn.data(), L.wk.data.data(), k.data(), n, kvw, h, false);
    gemm_f32_nt(xn.data(), L.wv.data.data(), v.data(), n, kvw, h, false);
    parallel_for(n, 64, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        rope_.apply(&q[t * qw], static_cast<int>(Hq), t);
        rope_.apply(&k[t * kvw], static_cast<int>(Hkv), t);
      }
    });
    PrefillLayer& P = out.layers[l];
    P.k.resize(Hkv * n * D);
    P.v.resize(Hkv * n * D);
    for (int64_t kh = 0; kh < Hkv; ++kh) {
      for (int64_t t = 0; t < n; ++t) {
        std::memcpy(&P.k[(kh * n + t) * D], &k[t * kvw + kh * D], sizeof(float) * D);
        std::memcpy(&P.v[(kh * n + t) * D], &v[t * kvw + kh * D], sizeof(float) * D);
      }
    }
    int64_t w = out.window_rows;
    P.window_q.resize(Hq * w * D);
    for (int64_t qh = 0; qh < Hq; ++qh) {
      for (int64_t i = 0; i < w; ++i) {
        std::memcpy(&P.window_q[(qh * w + i) * D], &q[(n - w + i) * qw + qh * D],
                    sizeof(float) * D);
      }
    }
    // Causal attention per query head: S = Q_h K_g^T * scale, masked, softmax, O_h = S V_g.
    // Tasks are (head, query block), the longest blocks first.
    const int64_t blocks = (n + kAttnBlock - 1) / kAttnBlock;
    parallel_for(Hq * blocks, 1, [&](int64_t t0, int64_t t1) {
      thread_local std::vector<float> scratch;
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t qh = t % Hq, i0 = (blocks - 1 - t / Hq) * kAttnBlock;
        causal_attention_block(&q[qh * D], qw, &P.k[(qh / G) * n * D], &P.v[(qh / G) * n * D],
                               &attn[qh * D], qw, i0, std::min(n, i0 + kAttnBlock), D, scale,
                               &scratch);
      }
    });
    HKV_RETURN_IF_ERROR(add_row_parallel(attn.data(), L.wo, x.data(), n, qw));
    HKV_RETURN_IF_ERROR(mlp_residual(L, x.data(), n));
  }
  out.last_logits.resize(c.vocab_size);
  HKV_RETURN_IF_ERROR(logits_for(&x[(n - 1) * h], 1, out.last_logits.data()));
  if (all_logits) {
    out.all_logits.resize(n * c.vocab_size);
    HKV_RETURN_IF_ERROR(logits_for(x.data(), n, out.all_logits.data()));
  }
  return out;
}

Status CpuModel::decode(std::span<const int32_t> tokens,
                        std::span<const int64_t> positions,
                        std::span<HeadKvCache* const> caches,
                        std::vector<float>* logits,
                        const AttentionObserver* observer) const {
  const LlamaConfig& c = config_;
  const int64_t b = static_cast<int64_t>(tokens.size());
  if (positions.size() != tokens.size() || caches.size() != tokens.size()) {
    return errorf(StatusCode::kInvalidArgument, "decode: %zu tokens, %zu positions, %zu caches",
                  tokens.size(), positions.size(), caches.size());
  }
  const int64_t h = c.hidden_size, D = c.head_dim, Hq = c.num_q_heads, Hkv = c.num_kv_heads;
  const int64_t qw = Hq * D, kvw = Hkv * D, G = Hq / Hkv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  std::vector<float> x(b * h), xn(b * h), q(b * qw), k(b * kvw), v(b * kvw), attn(b * qw);
  for (int64_t i = 0; i < b; ++i) {
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size) {
      return errorf(StatusCode::kInvalidArgument, "decode: token id %d outside the vocab",
                    tokens[i]);
    }
    std::memcpy(&x[i * h], &weights_.token_embd.data[static_cast<int64_t>(tokens[i]) * h],
                sizeof(float) * h);
  }
  for (int32_t l = 0; l < c.num_layers; ++l) {
    const LayerWeights& L = weights_.layers[l];
    rms_norm(x.data(), L.attn_norm, xn.data(), b);
    gemm_f32_nt(xn.data(), L.wq.data.data(), q.data(), b, qw, h, false);
    gemm_f32_nt(xn.data(), L.wk.data.data(), k.data(), b, kvw, h, false);
    gemm_f32_nt(xn.data(), L.wv.data.data(), v.data(), b, kvw, h, false);
    for (int64_t i = 0; i < b; ++i) {
      rope_.apply(&q[i * qw], static_cast<int>(Hq), positions[i]);
      rope_.apply(&k[i * kvw], static_cast<int>(Hkv), positions[i]);
      HeadKvCache& cache = *caches[i];
      HeadKvLayer& layer = cache.layers[l];
      for (int32_t seg = 0; seg < layer.num_heads(); ++seg) {
        int64_t kh = cache.layout == CacheLayout::kReference ? seg / G : seg;
        HKV_RETURN_IF_ERROR(layer.append(seg, &k[i * kvw + kh * D], &v[i * kvw + kh * D]));
      }
    }
    // Attention per (sequence, query head); on one thread when an observer watches the rows.
    parallel_for(b * Hq, observer != nullptr ? b * Hq : 1, [&](int64_t t0, int64_t t1) {
      thread_local std::vector<float> s;
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t i = t / Hq, qh = t % Hq;
        const HeadKvCache& cache = *caches[i];
        const HeadKvLayer& layer = cache.layers[l];
        const int32_t seg = cache.segment_for_query_head(static_cast<int32_t>(qh));
        const int64_t len = layer.len(seg);
        s.resize(len);
        gemm_f32_strided(&q[i * qw + qh * D], D, layer.k_head(seg), D, true, s.data(), len, 1, len,
                         D, scale, false);
        softmax_inplace(s.data(), len);
        if (observer != nullptr) {
          (*observer)(static_cast<size_t>(i), l, static_cast<int32_t>(qh),
                      std::span<const float>(s.data(), len));
        }
        gemm_f32_strided(s.data(), len, layer.v_head(seg), D, false, &attn[i * qw + qh * D], D, 1,
                         D, len, 1.0f, false);
      }
    });
    HKV_RETURN_IF_ERROR(add_row_parallel(attn.data(), L.wo, x.data(), b, qw));
    HKV_RETURN_IF_ERROR(mlp_residual(L, x.data(), b));
  }
  logits->resize(b * c.vocab_size);
  return logits_for(x.data(), b, logits->data());
}

}  // namespace hkv::model
