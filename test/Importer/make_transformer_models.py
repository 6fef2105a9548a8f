"""Writes the transformer fixtures of the importer and integration tests.

    python3 make_transformer_models.py OUTDIR

Models built from torch.nn and the standard GPT and Llama code, saved with
Debian's torch 1.13 both traced and scripted (TorchScript of each), and
small modules, one per operator form, traced. Nothing binary is checked in.

    gpt_{traced,scripted}.pt      nanoGPT-style: token and position
                                  embeddings, LayerNorm, causal attention with
                                  a tril buffer and masked_fill, tanh-GELU
                                  MLP, lm_head tied to the token embedding.
                                  Input: int64 ids [1, 16].
    llama_{traced,scripted}.pt    Llama-style: RMSNorm, HF-style rotary
                                  embedding (rotate_half), causal attention,
                                  SwiGLU. Input [1, 16, 64].
    encoder_{fast,slow}.pt        nn.TransformerEncoder (2 layers, d 64,
                                  4 heads, ff 128, batch_first), traced under
                                  no_grad (PyTorch's fused fast path) and with
                                  grad (the Python path). Input [1, 16, 64].
    encoder_prenorm.pt            the same with norm_first and GELU, fast path.
    encoder_scripted.pt,          both encoders scripted: the fast-path checks
    encoder_prenorm_scripted.pt   become control flow decided at import.
    mha.pt, mha_weights.pt        nn.MultiheadAttention as self-attention,
                                  returning the output, or the output and the
                                  head-averaged attention weights.
    op_<name>.pt                  the operator forms of OP_MODULES.
    cf_<name>.pt                  the scripted control flow of SCRIPTED_MODULES.
    bad_<name>.pt                 the refused models of ERROR_MODULES.
"""

import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

#
# GPT (nanoGPT's model code, reduced)
#


class CausalSelfAttention(nn.Module):
    def __init__(self, dim, heads, context):
        super().__init__()
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.c_proj = nn.Linear(dim, dim)
        self.n_head = heads
        self.n_embd = dim
        self.register_buffer(
            "bias", torch.tril(torch.ones(context, context)).view(1, 1, context, context)
        )

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.bias[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class GptMlp(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.c_fc = nn.Linear(dim, 4 * dim)
        self.c_proj = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class GptBlock(nn.Module):
    def __init__(self, dim, heads, context):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim)
        self.attn = CausalSelfAttention(dim, heads, context)
        self.ln_2 = nn.LayerNorm(dim)
        self.mlp = GptMlp(dim)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Gpt(nn.Module):
    def __init__(self, vocab=100, context=32, dim=64, heads=4, layers=2):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(context, dim)
        self.h = nn.ModuleList([GptBlock(dim, heads, context) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim)
        self.lm_head = nn.Linear(dim, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied, as in GPT-2

    def forward(self, idx):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


#
# Llama (the reference model's structure, HF-style rotary embedding)
#


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim) + 0.1 * torch.randn(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)


class LlamaBlock(nn.Module):
    def __init__(self, dim=64, heads=4, hidden=172, context=32):
        super().__init__()
        self.n_head = heads
        self.head_dim = dim // heads
        self.attention_norm = RMSNorm(dim)
        self.ffn_norm = RMSNorm(dim)
        self.wq = nn.Linear(dim, dim, bias=False)
        self.wk = nn.Linear(dim, dim, bias=False)
        self.wv = nn.Linear(dim, dim, bias=False)
        self.wo = nn.Linear(dim, dim, bias=False)
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)
        inv = 1.0 / (10000 ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))
        freqs = torch.outer(torch.arange(context).float(), inv)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos", emb.cos())
        self.register_buffer("sin", emb.sin())
        self.register_buffer("mask", torch.tril(torch.ones(context, context, dtype=torch.bool)))

    def forward(self, x):
        B, T, C = x.shape
        h = self.attention_norm(x)
        q = self.wq(h).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = self.wk(h).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        v = self.wv(h).view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        cos = self.cos[:T]
        sin = self.sin[:T]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        att = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim)
        att = att.masked_fill(~self.mask[:T, :T], float("-inf"))
        att = F.softmax(att.float(), dim=-1).type_as(q)
        y = torch.matmul(att, v).transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.wo(y)
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h))


class Llama(nn.Module):
    def __init__(self, layers=2, dim=64):
        super().__init__()
        self.layers = nn.ModuleList([LlamaBlock(dim) for _ in range(layers)])
        self.norm = RMSNorm(dim)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


#
# torch.nn's attention modules
#


def encoder(norm_first=False, activation="relu"):
    layer = nn.TransformerEncoderLayer(
        64, 4, 128, batch_first=True, norm_first=norm_first, activation=activation
    )
    model = nn.TransformerEncoder(layer, 2).eval()
    # TransformerEncoder copies one layer; distinct weights per layer keep
    # freezing from merging them, and non-trivial norms test their use.
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    return model


class SelfAttention(nn.Module):
    def __init__(self, weights=False):
        super().__init__()
        self.mha = nn.MultiheadAttention(64, 4, batch_first=True)
        self.weights = weights

    def forward(self, x):
        out, weights = self.mha(x, x, x)
        return (out, weights) if self.weights else out


#
# Operator forms
#


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *args):
        return self.fn(*args)


def gpt_fast_rotary(x):
    # gpt-fast's apply_rotary_emb: pairs (even, odd) rotated as real pairs.
    T, D = x.shape[1], x.shape[-1]
    freqs = 1.0 / (10000 ** (torch.arange(0, D, 2)[: D // 2].float() / D))
    angles = torch.outer(torch.arange(T).float(), freqs)
    cache = torch.stack([angles.cos(), angles.sin()], dim=-1).view(1, T, 1, D // 2, 2)
    xs = x.float().reshape(*x.shape[:-1], -1, 2)
    out = torch.stack(
        [
            xs[..., 0] * cache[..., 0] - xs[..., 1] * cache[..., 1],
            xs[..., 1] * cache[..., 0] + xs[..., 0] * cache[..., 1],
        ],
        -1,
    )
    return out.flatten(3).type_as(x)


class IndexBuffer(nn.Module):
    """`buffer[input_pos]`: a buffer indexed by an int64 input."""

    def __init__(self):
        super().__init__()
        self.register_buffer("table", torch.randn(32, 8))

    def forward(self, x, pos):
        return x + self.table[pos]


class CrossAttention(nn.Module):
    def __init__(self):
        super().__init__()
        self.mha = nn.MultiheadAttention(64, 4, batch_first=True)

    def forward(self, x, memory):
        return self.mha(x, memory, memory, need_weights=False)[0]


# name: (module, example inputs as (shape, dtype) pairs)
F32 = torch.float32
OP_MODULES = {
    "matmul_1d_1d": (Lambda(lambda a, b: torch.matmul(a, b)), [((7,), F32), ((7,), F32)]),
    "matmul_1d_2d": (Lambda(lambda a, b: torch.matmul(a, b)), [((7,), F32), ((7, 5), F32)]),
    "matmul_2d_1d": (Lambda(lambda a, b: torch.matmul(a, b)), [((5, 7), F32), ((7,), F32)]),
    "matmul_3d_1d": (Lambda(lambda a, b: torch.matmul(a, b)), [((2, 5, 7), F32), ((7,), F32)]),
    "matmul_4d_4d": (Lambda(lambda a, b: a @ b), [((2, 3, 5, 7), F32), ((2, 3, 7, 4), F32)]),
    "matmul_4d_3d": (Lambda(lambda a, b: a @ b), [((2, 3, 5, 7), F32), ((3, 7, 4), F32)]),
    "matmul_bcast": (Lambda(lambda a, b: a @ b), [((2, 1, 5, 7), F32), ((1, 3, 7, 4), F32)]),
    "bmm": (Lambda(lambda a, b: torch.bmm(a, b)), [((3, 5, 7), F32), ((3, 7, 4), F32)]),
    # Past one 64 x 64 GPU tile in M and N, with partial tiles.
    "bmm_large": (Lambda(lambda a, b: torch.bmm(a, b)), [((2, 70, 33), F32), ((2, 33, 67), F32)]),
    "baddbmm": (
        Lambda(lambda c, a, b: torch.baddbmm(c, a, b, beta=0.5, alpha=2.0)),
        [((3, 5, 4), F32), ((3, 5, 7), F32), ((3, 7, 4), F32)],
    ),
    "addmm": (
        Lambda(lambda c, a, b: torch.addmm(c, a, b, beta=0.25, alpha=-1.5)),
        [((4,), F32), ((5, 7), F32), ((7, 4), F32)],
    ),
    "div_modes": (
        Lambda(lambda a, b: torch.stack([
            torch.div(a, b, rounding_mode="trunc"),
            torch.div(a, b, rounding_mode="floor"),
            torch.floor_divide(a, 0.7),
            a / b,
        ])),
        [((4, 6), F32), ((4, 6), F32)],
    ),
    "math": (
        Lambda(lambda x: torch.stack([
            torch.exp(x), torch.log(x.abs() + 1), -x, torch.abs(x),
            torch.sqrt(x.abs()), torch.rsqrt(x.abs() + 1), torch.reciprocal(x + 10),
            x.pow(3), x.pow(2), torch.sin(x), torch.cos(x),
        ])),
        [((3, 5), F32)],
    ),
    "masks": (
        Lambda(lambda x, y: torch.stack([
            x.masked_fill(x > 0, -1.0),
            torch.where(x < y, x, y),
            torch.where(~(x >= 0) & (y != 0), y, torch.zeros_like(y)),
            (torch.logical_or(x == y, x <= 0.5)).float(),
            torch.full_like(x, 2.5) + torch.ones_like(x),
        ])),
        [((4, 6), F32), ((4, 6), F32)],
    ),
    # A bool constant (a causal mask) read from memory: a byte per element,
    # which vector code must not load as bits.
    "constant_mask": (
        Lambda(lambda x: x.masked_fill(torch.tril(torch.ones(16, 24, dtype=torch.bool)), 0.0)),
        [((2, 16, 24), F32)],
    ),
    "slices": (
        Lambda(lambda x: torch.cat([
            x[:, 1:7:2], x[:, -3:], x.narrow(1, 2, 3), x.select(1, -1).unsqueeze(1),
            torch.stack(torch.unbind(x, 1)[:2], -1), torch.chunk(x, 3, 1)[2],
        ], dim=-1)),
        [((4, 9), F32)],
    ),
    "expands": (
        Lambda(lambda x, y: (
            x.expand(3, 4, 5) + y.expand_as(torch.zeros(3, 4, 5)),
            x.repeat(2, 1, 2),
            x.repeat_interleave(2, dim=1),
            x.flatten().unflatten(0, (2, 10)),
        )),
        [((4, 5), F32), ((3, 1, 5), F32)],
    ),
    "reductions": (
        Lambda(lambda x: (
            x.mean((0, 2), keepdim=True),
            x.sum(-1),
            x.sum(),
            F.log_softmax(x, dim=0),
            F.softmax(x, dim=-2),
            F.layer_norm(x, (4, 5)),
        )),
        [((3, 4, 5), F32)],
    ),
    "dtypes": (
        Lambda(lambda x: (x.half().float() * 2, x.to(torch.bfloat16).float() + 1)),
        [((4, 6), F32)],
    ),
    # bf16 arithmetic, which x86 lacks: each op in f32, rounded to bf16.
    "bf16_arith": (
        Lambda(lambda x, y: (x * y + x / 3 - y, -x * 0.5)),
        [((4, 24), torch.bfloat16), ((4, 24), torch.bfloat16)],
    ),
    # What PyTorch accumulates in f32 on bf16 values, rounded once: one
    # flat result (qtensor-run --output writes the first).
    "bf16_accumulate": (
        Lambda(lambda x, y: torch.cat([
            F.softmax(x, dim=-1).flatten(),
            F.log_softmax(x, dim=0).flatten(),
            x.sum(-1),
            x.mean(0),
            F.layer_norm(x, (64,)).flatten(),
            torch.bmm(x.unsqueeze(0), y.unsqueeze(0)).flatten(),
            (x @ y).flatten(),
        ])),
        [((8, 64), torch.bfloat16), ((64, 16), torch.bfloat16)],
    ),
    "rotary_pairs": (Lambda(gpt_fast_rotary), [((1, 6, 2, 8), F32)]),
    "index_buffer": (IndexBuffer(), [((4, 8), F32), ((4,), torch.long)]),
    "embedding_2d": (nn.Embedding(50, 8), [((3, 5), torch.long)]),
    # Not PyTorch's fast path (query is not key): the Python code's ops.
    "cross_attention": (CrossAttention(), [((1, 16, 64), F32), ((1, 12, 64), F32)]),
}


class ComplexRotary(nn.Module):
    """Meta's original rotary form: complex numbers (not decomposed)."""

    def forward(self, x):
        xc = torch.view_as_complex(x.reshape(*x.shape[:-1], -1, 2))
        angles = torch.ones(x.shape[-1] // 2)
        return torch.view_as_real(xc * torch.polar(torch.ones_like(angles), angles)).flatten(-2)


class PaddedEncoder(nn.Module):
    """A key-padding mask: PyTorch's fast path makes nested tensors."""

    def __init__(self):
        super().__init__()
        self.encoder = encoder()

    def forward(self, x, padding):
        return self.encoder(x, src_key_padding_mask=padding)


class RankCheck(nn.Module):
    """A scripted shape check: the raise is dropped when the rank fits."""

    def forward(self, x):
        if not x.dim() == 3:
            raise ValueError("expected a 3-D input, got " + str(x.dim()) + "-D")
        return x * 2


class DataBranch(nn.Module):
    """A branch on the input's values: undecidable at import."""

    def forward(self, x):
        if bool(x.sum() > 0):
            return x
        return -x


class UnrolledLoop(nn.Module):
    """A loop over a size known at import, carrying a tensor."""

    def forward(self, x):
        y = x
        for i in range(x.size(0)):
            y = y + x[i]
        return y


# Scripted models with control flow: name: (module, example inputs).
SCRIPTED_MODULES = {
    "rank_check": (RankCheck(), None),
    "data_branch": (DataBranch(), None),
    "unrolled_loop": (UnrolledLoop(), None),
}

# Models that are refused: name: (module, example inputs).
ERROR_MODULES = {
    "complex_rotary": (ComplexRotary(), [((1, 4, 8), F32)]),
    "padded_encoder": (PaddedEncoder(), [((1, 16, 64), F32), ((1, 16), torch.bool)]),
    "two_indices": (Lambda(lambda x, i: x[i, i]), [((16, 16), F32), ((3,), torch.long)]),
    "cat_shapes": (Lambda(lambda x, y: torch.cat([x, y], 1)), [((2, 3), F32), ((2, 4), F32)]),
}


def example(shape, dtype):
    if dtype == torch.long:
        return torch.randint(0, 16, shape)
    if dtype == torch.bool:
        return torch.zeros(shape, dtype=torch.bool)
    return torch.randn(*shape, dtype=dtype)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    ids = torch.randint(0, 16, (1, 16))
    x = torch.randn(1, 16, 64)
    gpt, llama = Gpt().eval(), Llama().eval()
    traced = [
        ("gpt", gpt, ids),
        ("llama", llama, x),
    ]
    for name, model, example_input in traced:
        with torch.no_grad():
            torch.jit.trace(model, example_input, check_trace=False).save(str(out / f"{name}_traced.pt"))
        torch.jit.script(model).save(str(out / f"{name}_scripted.pt"))
    with torch.no_grad():
        torch.jit.trace(encoder(), x, check_trace=False).save(str(out / "encoder_fast.pt"))
        torch.jit.trace(encoder(True, "gelu"), x, check_trace=False).save(str(out / "encoder_prenorm.pt"))
        torch.jit.trace(SelfAttention().eval(), x, check_trace=False).save(str(out / "mha.pt"))
        torch.jit.trace(SelfAttention(True).eval(), x, check_trace=False).save(str(out / "mha_weights.pt"))
    torch.jit.trace(encoder(), x, check_trace=False).save(str(out / "encoder_slow.pt"))
    # Scripted: 191 prim::If after freezing, decided at import.
    torch.jit.script(encoder()).save(str(out / "encoder_scripted.pt"))
    torch.jit.script(encoder(True, "gelu")).save(str(out / "encoder_prenorm_scripted.pt"))
    for name, (module, _) in SCRIPTED_MODULES.items():
        torch.jit.script(module.eval()).save(str(out / f"cf_{name}.pt"))
    for prefix, modules in (("op", OP_MODULES), ("bad", ERROR_MODULES)):
        for name, (module, inputs) in modules.items():
            args = tuple(example(shape, dtype) for shape, dtype in inputs)
            with torch.no_grad():
                torch.jit.trace(module.eval(), args, check_trace=False).save(
                    str(out / f"{prefix}_{name}.pt")
                )


if __name__ == "__main__":
    main()
