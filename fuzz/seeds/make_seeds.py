#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs under fuzz/seeds/<target>/ (the committed files are its output).

Run from anywhere: `python3 fuzz/seeds/make_seeds.py [path/to/assign100.txt]`. The OR-Library seeds are
small corners of assign100.txt (default: ../shared/data/assign/assign100.txt beside the repository);
the rest is written out here. Seeds stay small: libFuzzer mutates small inputs far faster.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_ASSIGN = REPO.parent / "shared" / "data" / "assign" / "assign100.txt"


def write(target: str, name: str, text: str) -> None:
    path = HERE / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def instance_seeds(assign100: Path) -> None:
    raw = assign100.read_text()
    lines = raw.splitlines(keepends=True)
    tokens = raw.split()
    n_full = int(tokens[0])
    costs = [int(c) for c in tokens[1:]]
    assert len(costs) == n_full * n_full, "assign100.txt is not a complete matrix"
    # The file's own first lines: a truncated matrix, which the reader must reject cleanly.
    write("instance_reader", "assign100_head.txt", "".join(lines[:4]))
    # Top-left n×n corners, in the file's layout (a leading size, then wrapped rows).
    for n in (1, 3, 6):
        rows = [costs[r * n_full : r * n_full + n] for r in range(n)]
        body = "".join(" " + " ".join(str(c) for c in row) + "\n" for row in rows)
        write("instance_reader", f"assign{n}_corner.txt", f" {n}\n{body}")
    # A dense matrix with negative costs and costs on one long line.
    write("instance_reader", "assign_negative.txt", "3\n-5 0 7 2 -1 4 9 8 -3\n")

    write(
        "instance_reader",
        "sparse_small.txt",
        "c two tickets, two engineers\np 2 2 3\ne 0 1\ne 1 1\nt 0 100\nt 1 50\n"
        "a 0 0 5\na 1 0 3\na 0 1 9\n",
    )
    # More tickets than capacity, lines out of order, comments and blank lines, negative costs, a
    # ticket with no arc at all and an engineer of capacity 0.
    write(
        "instance_reader",
        "sparse_shortage.txt",
        "c shortage: 5 tickets, 3 engineers with 3 slots in all\n"
        "p 5 3 8\n"
        "a 4 2 1\n"
        "t 0 1000\nt 1 10\n\nt 2 500\nt 3 -4\nt 4 70\n"
        "e 2 0\ne 0 2\ne 1 1\n"
        "a 0 0 12\na 0 1 3\na 1 0 -2\na 2 1 40\na 2 0 39\nc a trailing comment\n"
        "a 3 1 6\na 4 0 90\n",
    )
    write("instance_reader", "sparse_empty.txt", "p 0 0 0\n")
    write("instance_reader", "sparse_no_arcs.txt", "p 2 1 0\ne 0 3\nt 1 7\nt 0 9\n")


DAY = "2025-01-06T"


def json_seeds() -> None:
    tickets = [
        {
            "id": "T-1",
            "location": {"lat": 42.3601, "lon": -71.0589},
            "category": "network",
            "min_level": 3,
            "priority": "P1",
            "created_at": DAY + "08:15:00Z",
            "sla_due": DAY + "12:15:00Z",
            "duration_min": 90,
            "customer": {"id": "C-7", "tier": "vip", "last_engineer": "E-2"},
            "pinned_engineer": "E-1",
            "attributes": {"floor": 3, "access": "badge", "weight": 1.5, "night": False,
                           "tools": ["ladder", "crimper"]},
        },
        {
            "id": "T-2",
            "location": {"lat": -33.87, "lon": 151.21},
            "category": "hvac",
            "created_at": "2025-01-06T09:00:00+01:00",
        },
    ]
    engineers = [
        {
            "id": "E-1",
            "location": {"lat": 42.35, "lon": -71.06},
            "skills": {"network": 4, "hvac": 1},
            "team": "north",
            "territory": "boston",
            "capacity": 5,
            "open_tickets": 2,
            "shift": {"start": DAY + "08:00:00Z", "end": DAY + "16:00:00Z"},
            "attributes": {"van": True, "languages": ["en", "pt"]},
        },
        {"id": "E-2", "location": {"lat": 0.0, "lon": 180.0}, "capacity": 1},
    ]
    write("json_documents", "tickets.json", json.dumps(tickets, indent=1) + "\n")
    write("json_documents", "engineers.json", json.dumps(engineers, indent=1) + "\n")
    # Parses, then fails validation: skill level 6, negative capacity, shift ending before it starts,
    # a duplicate id.
    bad = [
        {"id": "E-3", "location": {"lat": 1, "lon": 2}, "skills": {"x": 6}, "capacity": 1},
        {"id": "E-4", "location": {"lat": 1, "lon": 2}, "capacity": -1},
        {"id": "E-5", "location": {"lat": 1, "lon": 2}, "capacity": 1,
         "shift": {"start": DAY + "16:00:00Z", "end": DAY + "08:00:00Z"}},
        {"id": "E-3", "location": {"lat": 91, "lon": 2}, "capacity": 1},
    ]
    write("json_documents", "engineers_invalid.json", json.dumps(bad) + "\n")
    # Both a ticket and an engineer list at once (unknown fields are ignored).
    both = [{"id": "X", "location": {"lat": 10, "lon": 20}, "category": "network",
             "created_at": DAY + "10:00:00Z", "capacity": 2, "pinned_engineer": "X"}]
    write("json_documents", "ticket_and_engineer.json", json.dumps(both) + "\n")
    write("json_documents", "empty.json", "[]\n")
    write("json_documents", "not_a_list.json", '{"id": 3}\n')


if __name__ == "__main__":
    instance_seeds(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_ASSIGN)
    json_seeds()
