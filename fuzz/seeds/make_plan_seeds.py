#!/usr/bin/env python3
"""Writes the seeds of the `scenario_plan` and `pipeline` fuzz targets.

scenario_plan: a selector byte (low nibble: example policy, high nibble: solver) and a small scenario
document built from the first Boston service requests in ../shared/data/boston (positions, open
times, request types as categories) with a hand-made crew. pipeline: fixed pseudo-random bytes (the
target builds tickets, engineers and a policy from whatever bytes it gets).
"""
import csv
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BOSTON = os.path.join(ROOT, "..", "shared", "data", "boston", "service_requests_2025.csv")


def boston_tickets(count):
    tickets = []
    with open(BOSTON, newline="") as f:
        for row in csv.DictReader(f):
            if not row["latitude"] or not row["open_dt"].startswith("2025-01"):
                continue
            category = row["reason"].split()[0].lower() or "general"
            tickets.append({
                "id": f"B-{row['case_enquiry_id']}",
                "location": {"lat": float(row["latitude"]), "lon": float(row["longitude"])},
                "category": category,
                "min_level": len(tickets) % 4,
                "priority": ["P1", "P2", "P3", "P4"][len(tickets) % 4],
                "created_at": row["open_dt"].replace(" ", "T") + "Z",
                "duration_min": 30 + 15 * (len(tickets) % 5),
            })
            if len(tickets) == count:
                break
    return tickets


def crew(categories, count):
    out = []
    for i in range(count):
        out.append({
            "id": f"eng-{i:02}",
            "location": {"lat": 42.30 + 0.02 * (i % 5), "lon": -71.12 + 0.02 * (i // 5)},
            "skills": {c: (i + k) % 6 for k, c in enumerate(categories)},
            "team": ["red", "blue", "senior"][i % 3],
            "capacity": 1 + i % 3,
            "open_tickets": i % 2,
            **({"available_min": 120 + 60 * i} if i % 3 == 0 else {}),
        })
    return out


def scenario(name, tickets, engineers):
    start = min(t["created_at"] for t in tickets) if tickets else "2025-01-01T00:00:00Z"
    return {
        "name": name,
        "start": start,
        "end": "2025-02-01T00:00:00Z",
        "engineers": engineers,
        "tickets": tickets,
    }


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    tickets = boston_tickets(12)
    categories = sorted({t["category"] for t in tickets})
    engineers = crew(categories, 8)
    cases = [
        ("boston_default_flow.json", 0x01, scenario("boston", tickets, engineers)),
        ("boston_max_open_mip.json", 0x34, scenario("boston", tickets, engineers)),
        ("boston_vip_lp.json", 0x2B, scenario("boston", tickets[:5], engineers[:3])),
        ("boston_nearest_greedy.json", 0x15, scenario("boston", tickets[:8], engineers[:2])),
        ("empty.json", 0x00, scenario("empty", [], [])),
    ]
    for name, selector, doc in cases:
        write("scenario_plan", name, bytes([selector]) + json.dumps(doc, indent=1).encode())
    rng = random.Random(8)
    for size in (16, 64, 256, 1024):
        write("pipeline", f"random_{size}.bin", bytes(rng.randrange(256) for _ in range(size)))


if __name__ == "__main__":
    main()
