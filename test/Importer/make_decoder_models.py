"""Writes the decoder fixtures: LLM decoding with a KV cache.

    python3 make_decoder_models.py OUTDIR [--dim D --layers L --heads H
        --kv-heads KV --hidden F --vocab V --cache C --seed S --dtype DT]

A decoder in the form written for fast decoding (gpt-fast's model code,
reduced and written for torch 1.13's TorchScript): forward(idx: int64 [B, T],
input_pos: int64 [T]) -> logits [B, T, V]; a token embedding; RoPE tables as
one buffer of (cos, sin) pairs indexed by input_pos; a causal-mask buffer
indexed by input_pos; grouped-query attention (repeat_interleave of the KV
heads); the KV cache as registered buffers written in place
(k_cache[:, :, input_pos] = k, an aten::index_put_) and, in the v cache,
index_copy_. Attention is written out (matmul, masked softmax, matmul).

    decoder_scripted.pt   the model scripted (the contract: T is dynamic).
    decoder_traced.pt     the same model traced at T = 4 (T fixed).
    decoder_prompt.npy    int64 [1, 4] prompt ids of the tests.
    state_shifted.pt      writes a buffer at next[input_pos] (input_pos + 1):
                          the position is computed, so only the compiled
                          code can check it.
    bad_write_input.pt    writes into its input in place (refused).
    bad_write_param.pt    writes into a parameter in place (refused).

Every buffer is saved in its initial state: the caches hold zeros (tracing
runs forward once, so the traced model's caches are reset before saving).
"""

import argparse
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim) + 0.1 * torch.randn(dim))

    def forward(self, x):
        x32 = x.float()
        normed = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return normed.type_as(x) * self.weight


class KVCache(nn.Module):
    def __init__(self, batch: int, kv_heads: int, length: int, head_dim: int, dtype):
        super().__init__()
        shape = (batch, kv_heads, length, head_dim)
        self.register_buffer("k_cache", torch.zeros(shape, dtype=dtype))
        self.register_buffer("v_cache", torch.zeros(shape, dtype=dtype))

    def update(self, input_pos: torch.Tensor, k: torch.Tensor, v: torch.Tensor):
        # k, v: [B, KV, T, D] written at the positions input_pos of the cache.
        k_out = self.k_cache
        v_out = self.v_cache
        k_out[:, :, input_pos] = k
        v_out.index_copy_(2, input_pos, v)
        return k_out, v_out


def apply_rotary(x: torch.Tensor, rope: torch.Tensor) -> torch.Tensor:
    # x: [B, T, H, D]; rope: [T, D/2, 2] of (cos, sin) per pair of x.
    xs = x.float().reshape(x.size(0), x.size(1), x.size(2), -1, 2)
    r = rope.view(1, xs.size(1), 1, xs.size(3), 2)
    out = torch.stack(
        [
            xs[..., 0] * r[..., 0] - xs[..., 1] * r[..., 1],
            xs[..., 1] * r[..., 0] + xs[..., 0] * r[..., 1],
        ],
        -1,
    )
    return out.flatten(3).type_as(x)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, kv_heads: int, batch: int, cache: int, dtype):
        super().__init__()
        self.n_head = heads
        self.n_kv = kv_heads
        self.head_dim = dim // heads
        self.dim = dim
        kv_size = kv_heads * self.head_dim
        self.wqkv = nn.Linear(dim, dim + 2 * kv_size, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.kv_cache = KVCache(batch, kv_heads, cache, self.head_dim, dtype)

    def forward(self, x, rope, mask, input_pos):
        B, T, _ = x.shape
        kv_size = self.n_kv * self.head_dim
        q, k, v = self.wqkv(x).split([self.dim, kv_size, kv_size], dim=-1)
        q = q.view(B, T, self.n_head, self.head_dim)
        k = k.view(B, T, self.n_kv, self.head_dim)
        v = v.view(B, T, self.n_kv, self.head_dim)
        q = apply_rotary(q, rope).transpose(1, 2)
        k = apply_rotary(k, rope).transpose(1, 2)
        v = v.transpose(1, 2)
        k, v = self.kv_cache.update(input_pos, k, v)
        k = k.repeat_interleave(self.n_head // self.n_kv, dim=1)
        v = v.repeat_interleave(self.n_head // self.n_kv, dim=1)
        att = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(self.head_dim))
        att = att.masked_fill(~mask, float("-inf"))
        att = F.softmax(att.float(), dim=-1).type_as(q)
        y = torch.matmul(att, v).transpose(1, 2).contiguous().view(B, T, self.dim)
        return self.wo(y)


class Block(nn.Module):
    def __init__(self, dim, heads, kv_heads, hidden, batch, cache, dtype):
        super().__init__()
        self.attention = Attention(dim, heads, kv_heads, batch, cache, dtype)
        self.attention_norm = RMSNorm(dim)
        self.ffn_norm = RMSNorm(dim)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)

    def forward(self, x, rope, mask, input_pos):
        h = x + self.attention(self.attention_norm(x), rope, mask, input_pos)
        g = self.ffn_norm(h)
        return h + self.w2(F.silu(self.w1(g)) * self.w3(g))


class Decoder(nn.Module):
    def __init__(self, dim=64, layers=2, heads=4, kv_heads=2, hidden=172, vocab=96,
                 cache=32, batch=1, dtype=torch.float32):
        super().__init__()
        self.tok_embeddings = nn.Embedding(vocab, dim)
        self.layers = nn.ModuleList(
            [Block(dim, heads, kv_heads, hidden, batch, cache, dtype) for _ in range(layers)]
        )
        self.norm = RMSNorm(dim)
        self.output = nn.Linear(dim, vocab, bias=False)
        head_dim = dim // heads
        freqs = 1.0 / (10000 ** (torch.arange(0, head_dim, 2).float() / head_dim))
        angles = torch.outer(torch.arange(cache).float(), freqs)
        self.register_buffer("rope", torch.stack([angles.cos(), angles.sin()], dim=-1))
        self.register_buffer("causal_mask", torch.tril(torch.ones(cache, cache, dtype=torch.bool)))

    def forward(self, idx: torch.Tensor, input_pos: torch.Tensor) -> torch.Tensor:
        mask = self.causal_mask[None, None, input_pos]
        rope = self.rope[input_pos]
        x = self.tok_embeddings(idx)
        for layer in self.layers:
            x = layer(x, rope, mask, input_pos)
        return self.output(self.norm(x))


class StateShifted(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("buf", torch.zeros(8, 4))
        self.register_buffer("next", torch.arange(1, 9))

    def forward(self, x: torch.Tensor, input_pos: torch.Tensor) -> torch.Tensor:
        self.buf[self.next[input_pos]] = x
        return self.buf * 2.0


class BadWriteInput(nn.Module):
    def forward(self, x: torch.Tensor, input_pos: torch.Tensor) -> torch.Tensor:
        x.index_copy_(0, input_pos, torch.ones(1, 4))
        return x


class BadWriteParam(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(8, 4), requires_grad=False)

    def forward(self, x: torch.Tensor, input_pos: torch.Tensor) -> torch.Tensor:
        self.w.index_copy_(0, input_pos, x)
        return self.w * 1.0


def reset_caches(model: nn.Module):
    for name, buffer in model.named_buffers():
        if name.endswith("k_cache") or name.endswith("v_cache"):
            buffer.zero_()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--kv-heads", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=172)
    parser.add_argument("--vocab", type=int, default=96)
    parser.add_argument("--cache", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    parser.add_argument("--only-scripted", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    model = Decoder(args.dim, args.layers, args.heads, args.kv_heads, args.hidden,
                    args.vocab, args.cache, dtype=dtype).to(dtype).eval()
    torch.jit.script(model).save(str(out / "decoder_scripted.pt"))
    torch.jit.script(StateShifted()).save(str(out / "state_shifted.pt"))
    torch.jit.script(BadWriteInput()).save(str(out / "bad_write_input.pt"))
    torch.jit.script(BadWriteParam()).save(str(out / "bad_write_param.pt"))
    prompt = torch.randint(0, args.vocab, (1, 4), generator=torch.Generator().manual_seed(1))
    np.save(out / "decoder_prompt.npy", prompt.numpy())
    if args.only_scripted:
        return
    with torch.no_grad():
        traced = torch.jit.trace(model, (prompt, torch.arange(4)), check_trace=False)
    reset_caches(traced)
    traced.save(str(out / "decoder_traced.pt"))


if __name__ == "__main__":
    main()
