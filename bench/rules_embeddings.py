"""How well each way of comparing tickets tells one cause from another, and how fast.

    .venv/bin/python bench/rules_embeddings.py 30000

Pairs of corpus incidents (bench/rules_corpus.py) of the same service opened within 21
days are sampled; a pair is *same* when both belong to one true pattern. For each
representation, at the threshold that lets through 0.3% of the other pairs (about what a
block of a few hundred tickets can bear), the share of same-cause pairs it finds. Texts
are prepared as the rules prepare them (people and details masked, the service's own words
dropped, title and the description's first words).
"""

from __future__ import annotations

import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable

import numpy as np
from rules_corpus import directory, generate_sorted
from scipy import sparse

from itsmhub.rules.embedding import embed
from itsmhub.rules.facts import semantic_text
from itsmhub.rules.fingerprint import fingerprint
from itsmhub.rules.people import People, handles_of

FALSE_RATE = 0.003


def char_ngrams(texts: list[str], n: int = 3, buckets: int = 1 << 18) -> sparse.csr_matrix:
    """TF-IDF of hashed character n-grams, rows of unit length."""
    rows, cols = [], []
    for i, text in enumerate(texts):
        padded = f" {text} "
        for j in range(len(padded) - n + 1):
            rows.append(i)
            cols.append(hash(padded[j : j + n]) % buckets)
    counts = sparse.csr_matrix(
        (np.ones(len(rows), np.float32), (rows, cols)), shape=(len(texts), buckets)
    )
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    idf = np.log((1 + len(texts)) / (1 + df)) + 1
    weighted = counts.multiply(idf).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    return sparse.diags(1 / np.maximum(norms, 1e-9)) @ weighted


def main(n: int) -> None:
    items = generate_sorted(n, seed=7)
    people = People(h for p in directory() for h in handles_of(p.email, p.login))
    texts = []
    words = []
    for item in items:
        tokens = fingerprint(people.mask(item.title)).tokens
        texts.append(semantic_text(tokens, people.mask(item.description), item.service))
        words.append(frozenset(t for t in tokens if t[0] != "_"))
    started = time.perf_counter()
    vectors = embed(texts)
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    grams = char_ngrams(texts)
    grams_s = time.perf_counter() - started

    by_service = defaultdict(list)
    for k, item in enumerate(items):
        by_service[item.service].append(k)
    rng = random.Random(1)
    pairs, same = [], []
    for ks in by_service.values():
        for _ in range(4000):
            a, b = rng.sample(ks, 2)
            if abs((items[a].created_at - items[b].created_at).days) <= 21:
                pairs.append((a, b))
                same.append(items[a].pattern is not None and items[a].pattern == items[b].pattern)
    left = np.array([a for a, _ in pairs])
    right = np.array([b for _, b in pairs])
    truth = np.array(same)

    def jaccard(a: int, b: int) -> float:
        union = len(words[a] | words[b])
        return len(words[a] & words[b]) / union if union else 0.0

    ways: dict[str, tuple[Callable[[], np.ndarray], str]] = {
        "words (Jaccard)": (lambda: np.array([jaccard(a, b) for a, b in pairs]), "—"),
        "char 3-gram TF-IDF": (
            lambda: np.asarray(grams[left].multiply(grams[right]).sum(axis=1)).ravel(),
            f"{grams_s / n * 1e6:.0f} µs",
        ),
        "wordllama 256-d": (
            lambda: np.einsum("ij,ij->i", vectors[left], vectors[right]),
            f"{embed_s / n * 1e6:.0f} µs",
        ),
    }
    print(f"{len(pairs):,} pairs, {int(truth.sum()):,} of one cause")
    print(
        "| representation | threshold at 0.3% false pairs | same-cause pairs found | per ticket |"
    )
    print("| --- | ---: | ---: | ---: |")
    for name, (scores_of, cost) in ways.items():
        scores = scores_of()
        threshold = float(np.quantile(scores[~truth], 1 - FALSE_RATE))
        found = float(np.mean(scores[truth] > threshold))
        print(f"| {name} | {threshold:.2f} | {found:.2f} | {cost} |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 30_000)
