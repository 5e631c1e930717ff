#!/usr/bin/env python3
"""PyTorch reference throughput for `infera bench` on the same GGUF weights (BF16/F16/F32 Llama files,
such as `infera synth --preset llama-1b --dtype bf16`).

For each concurrency level N it generates `--output-len` greedy tokens for N random prompts of
`--input-len` tokens in one batch (prefill included, after one untimed warm-up run of the same shape)
and reports output tokens per second. It uses Hugging Face transformers `generate` with a static KV
cache when transformers is installed; otherwise a plain PyTorch Llama with a static cache and SDPA
attention, and says which one ran. Weights are read from the GGUF file by the small reader below (no
`gguf` package needed); llama.cpp's Q/K row permutation is undone so both models compute the same
function. Note the workload differs from infera's closed loop: all N requests start together here.
"""
import argparse
import json
import math
import struct
import sys
import time

import numpy as np

try:
    import torch
except ImportError:  # the GGUF reader below works without it (checked where torch is missing)
    torch = None

# GGUF tensor type id -> numpy element type (BF16 is read as int16 bits and viewed as bfloat16 in torch)
GGUF_TYPES = {0: np.float32, 1: np.float16, 30: np.int16}
BF16 = 30
SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def read_gguf(path):
    """Metadata dict and {name: (numpy array shaped (rows, cols) or (n,), GGUF type id)} of a GGUF v2/v3 file."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    pos = 0

    def take(fmt):
        nonlocal pos
        value = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return value[0]

    def string():
        nonlocal pos
        n = take("<Q")
        s = bytes(data[pos:pos + n]).decode("utf-8", "replace")
        pos += n
        return s

    def value(t):
        if t in SCALAR:
            return take(SCALAR[t])
        if t == 8:
            return string()
        if t == 9:
            item, n = take("<I"), take("<Q")
            return [value(item) for _ in range(n)]
        raise ValueError(f"unknown GGUF value type {t}")

    if bytes(data[0:4]) != b"GGUF":
        raise ValueError(f"{path} is not a GGUF file")
    pos = 4
    take("<I")  # version
    n_tensors, n_kv = take("<Q"), take("<Q")
    meta = {}
    for _ in range(n_kv):
        key = string()
        meta[key] = value(take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        dims = [take("<Q") for _ in range(take("<I"))]
        infos.append((name, dims, take("<I"), take("<Q")))
    align = meta.get("general.alignment", 32)
    start = (pos + align - 1) // align * align
    tensors = {}
    for name, dims, ttype, offset in infos:
        if ttype not in GGUF_TYPES:
            raise ValueError(f"tensor {name} has GGUF type {ttype}; this reference reads F32, F16 and BF16 only")
        array = np.frombuffer(data, dtype=GGUF_TYPES[ttype], count=math.prod(dims), offset=start + offset)
        tensors[name] = (array.reshape(list(reversed(dims))), ttype)
    return meta, tensors


def to_torch(tensors):
    """The tensors as CPU torch tensors (BF16 bits viewed as bfloat16)."""
    out = {}
    for name, (array, ttype) in tensors.items():
        t = torch.from_numpy(array.copy())
        out[name] = t.view(torch.bfloat16) if ttype == BF16 else t
    return out


def unpermute(w, heads):
    """Undoes llama.cpp's Q/K row permutation (adjacent-pair RoPE) for half-split (rotate_half) RoPE."""
    rows = w.shape[0]
    return w.reshape(heads, rows // heads // 2, 2, -1).transpose(1, 2).reshape(rows, -1)


def hyper(meta, tensors):
    a = meta["general.architecture"]
    if a != "llama":
        raise ValueError(f"only llama files are supported here, got {a}")
    g = lambda k, d=None: meta.get(f"{a}.{k}", d)
    return dict(dim=g("embedding_length"), layers=g("block_count"), heads=g("attention.head_count"),
                kv_heads=g("attention.head_count_kv", g("attention.head_count")), ffn=g("feed_forward_length"),
                eps=g("attention.layer_norm_rms_epsilon"), theta=g("rope.freq_base", 10000.0),
                context=g("context_length"), vocab=g("vocab_size", tensors["token_embd.weight"][0].shape[0]))


def hf_model(h, tensors, dtype):
    from transformers import LlamaConfig, LlamaForCausalLM
    tied = "output.weight" not in tensors
    config = LlamaConfig(hidden_size=h["dim"], intermediate_size=h["ffn"], num_hidden_layers=h["layers"],
                         num_attention_heads=h["heads"], num_key_value_heads=h["kv_heads"], vocab_size=h["vocab"],
                         rms_norm_eps=h["eps"], rope_theta=h["theta"], max_position_embeddings=h["context"],
                         tie_word_embeddings=tied, torch_dtype=dtype)
    with torch.device("meta"):
        model = LlamaForCausalLM(config)
    state = {"model.embed_tokens.weight": tensors["token_embd.weight"], "model.norm.weight": tensors["output_norm.weight"]}
    if not tied:
        state["lm_head.weight"] = tensors["output.weight"]
    for i in range(h["layers"]):
        p, q = f"blk.{i}.", f"model.layers.{i}."
        state.update({
            q + "input_layernorm.weight": tensors[p + "attn_norm.weight"],
            q + "self_attn.q_proj.weight": unpermute(tensors[p + "attn_q.weight"], h["heads"]),
            q + "self_attn.k_proj.weight": unpermute(tensors[p + "attn_k.weight"], h["kv_heads"]),
            q + "self_attn.v_proj.weight": tensors[p + "attn_v.weight"],
            q + "self_attn.o_proj.weight": tensors[p + "attn_output.weight"],
            q + "post_attention_layernorm.weight": tensors[p + "ffn_norm.weight"],
            q + "mlp.gate_proj.weight": tensors[p + "ffn_gate.weight"],
            q + "mlp.up_proj.weight": tensors[p + "ffn_up.weight"],
            q + "mlp.down_proj.weight": tensors[p + "ffn_down.weight"],
        })
    state = {k: v.to(dtype) for k, v in state.items()}
    model.load_state_dict(state, strict=False, assign=True)
    if tied:
        model.tie_weights()
    return model.to("cuda").eval()


class PlainLlama(torch.nn.Module if torch is not None else object):
    """A minimal Llama with a static KV cache, for hosts without transformers."""

    def __init__(self, h, tensors, dtype):
        super().__init__()
        self.h = h
        dev = "cuda"
        w = lambda n: tensors[n].to(device=dev, dtype=dtype)
        self.embed = w("token_embd.weight")
        self.out = w("output.weight") if "output.weight" in tensors else self.embed
        self.norm = w("output_norm.weight")
        self.layers = []
        for i in range(h["layers"]):
            p = f"blk.{i}."
            self.layers.append(dict(
                an=w(p + "attn_norm.weight"), fn=w(p + "ffn_norm.weight"),
                qkv=torch.cat([unpermute(tensors[p + "attn_q.weight"], h["heads"]),
                               unpermute(tensors[p + "attn_k.weight"], h["kv_heads"]),
                               tensors[p + "attn_v.weight"]]).to(device=dev, dtype=dtype),
                o=w(p + "attn_output.weight"),
                gu=torch.cat([tensors[p + "ffn_gate.weight"], tensors[p + "ffn_up.weight"]]).to(device=dev, dtype=dtype),
                d=w(p + "ffn_down.weight")))
        hd = h["dim"] // h["heads"]
        self.inv_freq = 1.0 / (h["theta"] ** (torch.arange(0, hd, 2, device=dev, dtype=torch.float32) / hd))

    def rms(self, x, weight):
        x32 = x.float()
        return (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.h["eps"])).to(x.dtype) * weight

    def rope(self, x, pos):
        freqs = pos[:, None].float() * self.inv_freq[None, :]
        cos, sin = torch.cat([freqs, freqs], -1).cos().to(x.dtype), torch.cat([freqs, freqs], -1).sin().to(x.dtype)
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], -1)
        return x * cos[None, None] + rotated * sin[None, None]

    def forward(self, tokens, start, cache_k, cache_v):
        h = self.h
        b, n = tokens.shape
        hd = h["dim"] // h["heads"]
        pos = torch.arange(start, start + n, device=tokens.device)
        x = self.embed[tokens]
        for i, l in enumerate(self.layers):
            qkv = self.rms(x, l["an"]) @ l["qkv"].T
            q, k, v = qkv.split([h["heads"] * hd, h["kv_heads"] * hd, h["kv_heads"] * hd], -1)
            q = self.rope(q.view(b, n, h["heads"], hd).transpose(1, 2), pos)
            k = self.rope(k.view(b, n, h["kv_heads"], hd).transpose(1, 2), pos)
            cache_k[i, :, :, start:start + n] = k
            cache_v[i, :, :, start:start + n] = v.view(b, n, h["kv_heads"], hd).transpose(1, 2)
            keys, values = cache_k[i, :, :, :start + n], cache_v[i, :, :, :start + n]
            rep = h["heads"] // h["kv_heads"]
            keys, values = keys.repeat_interleave(rep, 1), values.repeat_interleave(rep, 1)
            att = torch.nn.functional.scaled_dot_product_attention(q, keys, values, is_causal=(n > 1 and start == 0))
            x = x + att.transpose(1, 2).reshape(b, n, -1) @ l["o"].T
            gate, up = (self.rms(x, l["fn"]) @ l["gu"].T).chunk(2, -1)
            x = x + (torch.nn.functional.silu(gate) * up) @ l["d"].T
        return self.rms(x[:, -1], self.norm) @ self.out.T

    def generate(self, prompts, new_tokens):
        """Greedy tokens after the prompts (the caller runs it under torch.no_grad())."""
        h = self.h
        b, n = prompts.shape
        hd = h["dim"] // h["heads"]
        shape = (h["layers"], b, h["kv_heads"], n + new_tokens, hd)
        cache_k = torch.empty(shape, device="cuda", dtype=self.embed.dtype)
        cache_v = torch.empty_like(cache_k)
        token = self.forward(prompts, 0, cache_k, cache_v).argmax(-1, keepdim=True)
        for step in range(1, new_tokens):
            token = self.forward(token, n + step - 1, cache_k, cache_v).argmax(-1, keepdim=True)
        return token


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--input-len", type=int, default=128)
    ap.add_argument("--output-len", type=int, default=128)
    ap.add_argument("--concurrency", default="1,16,64,256")
    ap.add_argument("--json")
    ap.add_argument("--plain", action="store_true", help="use the plain PyTorch model even if transformers is installed")
    args = ap.parse_args()
    if torch is None or not torch.cuda.is_available():
        sys.exit("torch_reference: no CUDA device visible to PyTorch")
    meta, raw = read_gguf(args.model)
    h = hyper(meta, raw)
    tensors = to_torch(raw)
    del raw
    dtype = torch.bfloat16 if tensors["blk.0.attn_q.weight"].dtype == torch.bfloat16 else torch.float16
    engine = "plain PyTorch (static cache, SDPA)"
    model = None
    if not args.plain:
        try:
            import transformers
            model = hf_model(h, tensors, dtype)
            engine = f"transformers {transformers.__version__} generate (static cache)"
        except ImportError:
            print("torch_reference: transformers is not installed; using the plain PyTorch model", file=sys.stderr)
    if model is None:
        model = PlainLlama(h, tensors, dtype)
    del tensors
    gen = torch.Generator().manual_seed(0)
    runs = []
    print(f"torch_reference: {engine}, torch {torch.__version__}, {torch.cuda.get_device_name(0)}, {dtype}")
    for level in [int(c) for c in args.concurrency.split(",")]:
        prompts = torch.randint(0, h["vocab"], (level, args.input_len), generator=gen).to("cuda")

        def once():
            if isinstance(model, PlainLlama):
                return model.generate(prompts, args.output_len)
            return model.generate(prompts, attention_mask=torch.ones_like(prompts), max_new_tokens=args.output_len,
                                  min_new_tokens=args.output_len, do_sample=False, cache_implementation="static",
                                  pad_token_id=0)

        with torch.no_grad():
            once()
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            once()
            torch.cuda.synchronize()
            seconds = time.perf_counter() - t0
        tps = level * args.output_len / seconds
        runs.append(dict(concurrency=level, seconds=seconds, output_tokens=level * args.output_len, output_throughput=tps))
        print(f"concurrency {level:4d}: {tps:10.1f} output tokens/s ({seconds:.2f} s)", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(engine=engine, torch=torch.__version__, device=torch.cuda.get_device_name(0),
                           dtype=str(dtype), input_len=args.input_len, output_len=args.output_len, runs=runs), f, indent=2)


if __name__ == "__main__":
    main()
