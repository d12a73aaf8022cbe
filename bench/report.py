"""The report: a markdown table per Tessera deployment (medians; the ratio to the peer; the
share of Tessera's own GET /health; the issue's target and whether it is met), and the
comparison of the large database with the empty one, and where each row's CPU went. Each
function prints its table; ``table`` and ``compare_large`` say whether every target was met.
"""
from __future__ import annotations

import math

import cpu
from scenarios import (CC_ES256, CC_RS256, HEALTH, INTROSPECTION, ME, PASSWORD_GRANT,
                       PROJECTS, REFRESH)

BOUND = "argon2id bound"
#: row -> (the peer's scenario it is compared with, the issue's minimums: (of what, share))
ROWS = {
    HEALTH: (None, ()),
    ME: ("me", (("peer", 2.0), ("health", 0.5))),
    PROJECTS: ("me", (("peer", 2.0), ("health", 0.5))),
    INTROSPECTION: ("introspect", (("health", 0.5),)),
    CC_RS256: ("cc", (("health", 0.30),)),
    CC_ES256: ("cc", (("health", 0.45),)),
    REFRESH: (None, (("health", 0.25),)),
    PASSWORD_GRANT: ("password", (("bound", 0.85),)),
}
#: The large database's figures may differ from the empty one's by this much.
LARGE_TOLERANCE = 0.15
_HEADER = ("| scenario | Tessera req/s | p50 ms | p99 ms | errors | peer req/s | vs peer "
           "| % of /health | target | met |\n"
           "|---|---:|---:|---:|---:|---:|---:|---:|---|---|")


def table(title: str, tessera: dict, bound: dict, peer: dict | None) -> bool:
    """Tessera's medians by row name against the argon2id bound and the peer's medians
    (by load.py kind, or None without a peer)."""
    print(f"\n### {title}\n\n{_HEADER}")
    health = tessera[HEALTH]["rps"]
    met = True
    for name, (kind, minimums) in ROWS.items():
        if name not in tessera:
            continue  # oauth_load.py --only
        result = tessera[name]
        peer_rps = peer[kind]["rps"] if peer and kind in peer else None
        references = {"health": health, "peer": peer_rps, "bound": bound["rps"]}
        verdict = _verdict(result, minimums, references)
        met = met and not verdict.startswith("NO")
        print(f"| {name} | {result['rps']:.0f} | {result['p50_ms']:.2f} | {result['p99_ms']:.2f} "
              f"| {result['errors']} | {_number(peer_rps, '.1f')} "
              f"| {_number(peer_rps and result['rps'] / peer_rps, '.1f', 'x')} "
              f"| {result['rps'] / health:.0%} | {_target(minimums)} | {verdict} |")
    print(f"| {BOUND} | {bound['rps']:.0f} | {bound['p50_ms']:.2f} | | | | "
          f"| {bound['rps'] / health:.0%} | (cores / one verification) | |")
    if peer:
        failed = {kind: result["errors"] for kind, result in peer.items() if result["errors"]}
        print(f"\npeer errors: {failed}" if failed else "")
    return met


def cpu_table(title: str, tessera: dict) -> None:
    """Milliseconds of CPU per request by kind of process (medians, cpu.py), and for a
    target that is a share of /health, the CPU per request it allows: /health's total
    divided by that share (every run saturates the cores, so req/s go as 1 / CPU)."""
    print(f"\n#### {title}: CPU per request (ms), by process\n\n"
          f"| scenario | {' | '.join(cpu.KINDS)} | total | allowed by the target |\n"
          f"|---|{'---:|' * (len(cpu.KINDS) + 2)}")
    health = sum(tessera[HEALTH]["cpu"].values())
    for name, (_, minimums) in ROWS.items():
        if name not in tessera:
            continue
        spent = tessera[name]["cpu"]
        share = dict(minimums).get("health")
        print(f"| {name} | {' | '.join(f'{spent[kind]:.3f}' for kind in cpu.KINDS)} "
              f"| {sum(spent.values()):.3f} | {_number(share and health / share, '.3f')} |")


def compare_large(empty: dict, large: dict) -> bool:
    """Each row's req/s on the large database against the empty one's, and its CPU per
    request (all processes, cpu.py) likewise: the two agree unless something else ran."""
    print("\n### Large database against the empty one\n\n"
          "| scenario | empty req/s | large req/s | large / empty | within 15% "
          "| CPU per request, large / empty |\n|---|---:|---:|---:|---|---:|")
    met = True
    for name in filter(empty.__contains__, ROWS):
        ratio = large[name]["rps"] / empty[name]["rps"]
        within = abs(ratio - 1) <= LARGE_TOLERANCE
        met = met and within
        print(f"| {name} | {empty[name]['rps']:.0f} | {large[name]['rps']:.0f} | {ratio:.2f} "
              f"| {'yes' if within else 'NO'} "
              f"| {sum(large[name]['cpu'].values()) / sum(empty[name]['cpu'].values()):.2f} |")
    return met


def _verdict(result: dict, minimums: tuple, references: dict) -> str:
    if not minimums:
        return "(floor)"
    if result["errors"]:
        return "NO (errors)"
    missed = [what for what, share in minimums
              if references[what] is not None and result["rps"] < share * references[what]]
    unknown = [what for what, _ in minimums if references[what] is None]
    verdict = f"NO ({', '.join(missed)})" if missed else "yes"
    return f"{verdict}, {' '.join(unknown)} n/a" if unknown else verdict


def _target(minimums: tuple) -> str:
    names = {"health": "{:.0%} of /health", "peer": "{:.1f}x peer", "bound": "{:.0%} of bound"}
    return ", ".join("≥ " + names[what].format(share) for what, share in minimums) or "-"


def _number(value: float | None, spec: str, suffix: str = "") -> str:
    return "-" if value is None or math.isnan(value) else f"{value:{spec}}{suffix}"
