#!/usr/bin/env python3
"""Peer for the serving benchmark: the MNIST MLP behind the KServe V2 infer
route in FastAPI + uvicorn + NumPy, with the weights read from a Tern
artifact (a safetensors file).

  TERN_ARTIFACT=mnist.tern MODEL_NAME=mnist \
    uvicorn fastapi_server:app --host 127.0.0.1 --port 8001 --workers 2 --no-access-log

Routes: POST /v2/models/{name}[/versions/{version}]/infer (UINT8/FP32 input,
shape [n, 28, 28] or [n, 784], flat or nested data), GET /v2/health/ready.
The body is parsed with orjson when it is installed (else json) straight
from the request bytes; no Pydantic models on the hot path. NumPy runs with
one BLAS thread per worker.
"""
import json
import os
import struct

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from fastapi import FastAPI, Request  # noqa: E402
from fastapi.responses import Response  # noqa: E402

try:
    import orjson

    loads = orjson.loads

    def dumps(obj):
        return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)
except ImportError:  # pragma: no cover - the benchmark installs orjson
    orjson = None
    loads = json.loads

    def dumps(obj):
        return json.dumps(obj, separators=(",", ":"), default=lambda a: a.tolist()).encode()

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "U8": np.uint8, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    """Tensors of a safetensors file: u64 little-endian header length,
    JSON header {name: {dtype, shape, data_offsets}}, then raw data."""
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    base = 8 + length
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        tensors[name] = np.frombuffer(blob, dtype=dtype, count=(end - start) // np.dtype(dtype).itemsize,
                                      offset=base + start).reshape(info["shape"]).astype(np.float32)
    return tensors


MODEL_NAME = os.environ.get("MODEL_NAME", "mnist")
_t = read_safetensors(os.environ["TERN_ARTIFACT"])
W1, B1 = _t["dense/kernel"], _t["dense/bias"]
W2, B2 = _t["dense_1/kernel"], _t["dense_1/bias"]
SAMPLE = W1.shape[0]
SCALE = np.float32(1.0 / 255.0)
INPUT_TYPES = {"UINT8": np.uint8, "FP32": np.float32, "FP64": np.float64, "INT32": np.int32, "INT64": np.int64}

app = FastAPI()


def error(status, message):
    return Response(dumps({"error": message}), status_code=status, media_type="application/json")


def predict(x):
    h = (x.astype(np.float32) * SCALE) @ W1 + B1
    np.maximum(h, 0, out=h)
    z = h @ W2 + B2
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    return p


async def infer(request: Request, name: str, version: str):
    if name != MODEL_NAME:
        return error(404, f"unknown model '{name}'")
    try:
        body = loads(await request.body())
        inputs = body["inputs"]
        if not isinstance(inputs, list) or len(inputs) != 1:
            return error(400, "'inputs' must hold exactly one tensor")
        tensor = inputs[0]
        dtype = INPUT_TYPES.get(tensor["datatype"])
        if dtype is None:
            return error(400, f"unsupported datatype '{tensor['datatype']}'")
        shape = [int(d) for d in tensor["shape"]]
        x = np.asarray(tensor["data"], dtype=dtype)
        batch = shape[0]
        if x.size != int(np.prod(shape)) or x.size != batch * SAMPLE:
            return error(400, f"shape {shape} does not fit the data or the model ({SAMPLE} values per sample)")
    except (KeyError, TypeError, ValueError) as e:
        return error(400, f"bad request: {e}")
    probs = predict(x.reshape(batch, SAMPLE))
    out = {"model_name": MODEL_NAME, "model_version": version,
           "outputs": [{"name": "output", "datatype": "FP32", "shape": [batch, probs.shape[1]],
                        "data": probs.reshape(-1)}]}
    if "id" in body:
        out["id"] = body["id"]
    return Response(dumps(out), media_type="application/json")


@app.post("/v2/models/{name}/infer")
async def infer_default(request: Request, name: str):
    return await infer(request, name, "1")


@app.post("/v2/models/{name}/versions/{version}/infer")
async def infer_version(request: Request, name: str, version: str):
    return await infer(request, name, version)


@app.get("/v2/health/ready")
async def ready():
    return Response(b'{"ready":true}', media_type="application/json")
