"""A tiny llama-architecture GGUF model, written with ``gguf`` (llama.cpp's own writer), that
a real llama-server loads and serves.

Its weights are random except where an answer must be predictable: every transformer block
is zero, so each position's hidden state is its own token's embedding and the next token is a
fixed function of the last one. The output matrix encodes that function as a few chains:

- after ``<think>\\n`` (the thinking template's generation prompt): ``Think</think>`` and then
  ``Yes. `` repeated until ``max_tokens`` or the context runs out, so a chat streams
  reasoning, then content, for as long as asked;
- after ``<|fim_middle|>``: ``42`` and end of text, so FIM answers "42".

The tokenizer is byte-level BPE (GPT-2's byte alphabet, a couple of merges) with FIM tokens
(``/infill`` needs them), ChatML tokens and ``<think>``/``</think>``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import gguf
import numpy as np

N_EMBD = 64
N_FF = 128
N_LAYER = 2
N_HEAD = 4
N_CTX_TRAIN = 4096

CONTROL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
FIM = ["<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"]
THINK = ["<think>", "</think>"]
MERGES = ["Ġ Ġ", "Ċ Ċ"]

#: Qwen3-style ChatML with reasoning: the generation prompt opens a <think> block unless
#: thinking is disabled, and earlier assistant turns show their reasoning_content.
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message.role + '\\n' }}"
    "{%- if message.role == 'assistant' and message.reasoning_content is defined"
    " and message.reasoning_content %}"
    "{{- '<think>\\n' + message.reasoning_content + '\\n</think>\\n\\n' }}"
    "{%- endif %}"
    "{{- message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}"
    "{%- else %}"
    "{{- '<think>\\n' }}"
    "{%- endif %}"
    "{%- endif %}"
)

REASONING = "Think"
CONTENT_CYCLE = "Yes. "
FIM_ANSWER = "42"


def byte_alphabet() -> list[str]:
    """GPT-2's printable stand-ins for the 256 byte values, in byte order."""
    printable = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    chars = {b: chr(b) for b in printable}
    extra = 0
    for b in range(256):
        if b not in chars:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def vocabulary() -> tuple[list[str], list[int]]:
    alphabet = byte_alphabet()
    tokens = alphabet + ["".join(m.split()) for m in MERGES] + CONTROL + FIM + THINK
    types = (
        [gguf.TokenType.NORMAL] * (len(alphabet) + len(MERGES))
        + [gguf.TokenType.CONTROL] * (len(CONTROL) + len(FIM))
        + [gguf.TokenType.USER_DEFINED] * len(THINK)
    )
    return tokens, [int(t) for t in types]


def chains(tokens: list[str]) -> list[tuple[int, int]]:
    """(token, next token) pairs the output matrix must make certain."""
    alphabet = byte_alphabet()
    index = {t: i for i, t in enumerate(tokens)}

    def byte(ch: str) -> int:
        return index[alphabet[ord(ch)]]

    think = [byte("\n")] + [byte(c) for c in REASONING] + [index["</think>"]]
    cycle = [byte(c) for c in CONTENT_CYCLE]
    fim = [index["<|fim_middle|>"]] + [byte(c) for c in FIM_ANSWER] + [index["<|endoftext|>"]]
    pairs = list(itertools.pairwise(think))
    pairs.append((think[-1], cycle[0]))
    pairs += list(zip(cycle, cycle[1:] + cycle[:1], strict=False))
    pairs += list(itertools.pairwise(fim))
    return pairs


def write_model(path: Path, seed: int = 13) -> Path:
    tokens, types = vocabulary()
    n_vocab = len(tokens)
    rng = np.random.default_rng(seed)
    embd = rng.standard_normal((n_vocab, N_EMBD)).astype(np.float32)
    output = (0.01 * rng.standard_normal((n_vocab, N_EMBD))).astype(np.float32)
    for token, following in chains(tokens):
        output[following] += 4.0 * embd[token]

    index = {t: i for i, t in enumerate(tokens)}
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("byok-ls test model")
    writer.add_context_length(N_CTX_TRAIN)
    writer.add_embedding_length(N_EMBD)
    writer.add_feed_forward_length(N_FF)
    writer.add_block_count(N_LAYER)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_token_merges(MERGES)
    writer.add_bos_token_id(index["<|endoftext|>"])
    writer.add_eos_token_id(index["<|endoftext|>"])
    writer.add_eot_token_id(index["<|im_end|>"])
    writer.add_add_bos_token(False)
    writer.add_uint32(gguf.Keys.Tokenizer.FIM_PRE_ID, index["<|fim_prefix|>"])
    writer.add_uint32(gguf.Keys.Tokenizer.FIM_SUF_ID, index["<|fim_suffix|>"])
    writer.add_uint32(gguf.Keys.Tokenizer.FIM_MID_ID, index["<|fim_middle|>"])
    writer.add_chat_template(CHAT_TEMPLATE)

    writer.add_tensor("token_embd.weight", embd)
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", output)
    zeros = np.zeros
    for i in range(N_LAYER):
        blk = f"blk.{i}"
        writer.add_tensor(f"{blk}.attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        writer.add_tensor(f"{blk}.ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
        for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{blk}.{name}.weight", zeros((N_EMBD, N_EMBD), np.float32))
        writer.add_tensor(f"{blk}.ffn_gate.weight", zeros((N_FF, N_EMBD), np.float32))
        writer.add_tensor(f"{blk}.ffn_up.weight", zeros((N_FF, N_EMBD), np.float32))
        writer.add_tensor(f"{blk}.ffn_down.weight", zeros((N_EMBD, N_FF), np.float32))

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


if __name__ == "__main__":
    import sys

    print(write_model(Path(sys.argv[1] if len(sys.argv) > 1 else "tiny.gguf")))
