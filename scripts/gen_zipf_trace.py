#!/usr/bin/env python3
"""Writes a synthetic oracleGeneral trace (libCacheSim's packed 24-byte records: u32 time_s, u64 obj_id,
u32 size_bytes, i64 1-based next access or -1) with Zipf popularity drawn independently per request, for
benchmarks. Streams in chunks, computing next accesses backwards, so a 200 M-request (4.8 GB) trace needs
well under 1 GB of memory. Needs numpy (`.venv/bin/pip install numpy`).

    .venv/bin/python scripts/gen_zipf_trace.py --objects 1000000 --requests 20000000 --alpha 0.8 \\
        --out target/bench/zipf-a0.8-n1m-r20m.oracleGeneral.bin
"""

import argparse

import numpy as np

RECORD = np.dtype([("time_s", "<u4"), ("obj_id", "<u8"), ("size_bytes", "<u4"), ("next_access", "<i8")])
CHUNK = 10_000_000


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--objects", type=int, required=True)
    p.add_argument("--requests", type=int, required=True)
    p.add_argument("--alpha", type=float, default=0.8)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--requests-per-second", type=int, default=1000)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    assert RECORD.itemsize == 24

    cdf = np.cumsum(np.arange(1, a.objects + 1, dtype=np.float64) ** -a.alpha)
    cdf /= cdf[-1]
    sizes = np.random.default_rng([a.seed, 0]).integers(1_000, 4_000_001, a.objects, dtype=np.uint32)
    # 0-based index of each object's first request after the chunk being written, or -1.
    first_later = np.full(a.objects, -1, dtype=np.int64)
    chunks = (a.requests + CHUNK - 1) // CHUNK
    with open(a.out, "wb") as out:
        out.truncate(a.requests * RECORD.itemsize)
        for c in reversed(range(chunks)):
            start = c * CHUNK
            n = min(CHUNK, a.requests - start)
            ranks = np.searchsorted(cdf, np.random.default_rng([a.seed, 1, c]).random(n), side="right")
            ranks = np.minimum(ranks, a.objects - 1)
            order = np.argsort(ranks, kind="stable")
            sorted_ranks = ranks[order]
            same = sorted_ranks[1:] == sorted_ranks[:-1]
            nxt = first_later[ranks]
            nxt[order[:-1][same]] = order[1:][same] + start
            group_first = np.concatenate(([True], ~same))
            first_later[sorted_ranks[group_first]] = order[group_first] + start
            rec = np.empty(n, dtype=RECORD)
            rec["time_s"] = (np.arange(start, start + n) // a.requests_per_second).astype(np.uint32)
            rec["obj_id"] = ranks.astype(np.uint64) + 1
            rec["size_bytes"] = sizes[ranks]
            rec["next_access"] = np.where(nxt >= 0, nxt + 1, -1)
            out.seek(start * RECORD.itemsize)
            out.write(rec.tobytes())
            print(f"chunk {c + 1}/{chunks} written", flush=True)


if __name__ == "__main__":
    main()
