"""What a meta result depends on besides its configuration, and a trace of the search to compare.

A meta run is a deterministic function of its configuration *and of the numbers its libraries
compute*: the inner runs score formulas with PyTorch and NumPy, whose transcendental functions and
reductions dispatch on the CPU's vector extensions (PyTorch's ``ATEN_CPU_CAPABILITY``, NumPy's
dispatched SIMD targets) and change between releases.  A last-bit difference in one fitness can
flip a tie in a tournament, and from there the whole search follows another path.  So every meta
archive records :func:`environment` (the versions and the CPU dispatch it ran with), the generator
file names it in its header, and :func:`trace` condenses a finished meta run into the fields that
say which path the search took (per meta-generation: the best's digest, fitness and validation
score, the rules mined), which ``benchmarks/meta/repro.py`` and the slow test compare with the
committed ones.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import math
import os
import platform
from collections.abc import Mapping, Sequence
from typing import Any

#: The distributions whose versions can change a meta run's numbers (or its parsing and selection).
PACKAGES = ("numpy", "numba", "torch", "scipy", "sympy", "deap", "lark", "networkx", "scikit-learn")

#: The CPU flags (as Linux's /proc/cpuinfo spells them) that choose between NumPy's and PyTorch's kernels
#: (baseline, AVX2 or AVX-512 paths), so a table can say which a result ran on.
VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni",
                "avx512_bf16", "avx512_fp16", "amx_tile")


def cpu(cpuinfo: str | None = None) -> dict[str, Any]:
    """The CPU's ``model`` name and which of :data:`VECTOR_FLAGS` it has (``flags``, in that order), read
    from ``cpuinfo`` (the text of /proc/cpuinfo; read here when None).  Where that file is missing
    (not Linux), ``model`` is :func:`platform.processor` and ``flags`` None: unknown, not absent."""
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
                cpuinfo = f.read()
        except OSError:
            return {"model": platform.processor() or None, "flags": None}
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():  # the first processor's entry is enough: the cores of one host agree
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    have = set(fields.get("flags", "").split())
    return {"model": fields.get("model name") or platform.processor() or None, "vendor": fields.get("vendor_id"),
            "flags": [f for f in VECTOR_FLAGS if f in have] if "flags" in fields else None}


def mkl_as_evidence(host: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The environment variables under which this host computes PyTorch's MKL numbers as the committed meta
    evidence's hosts did (AMD EPYC, and Intel CPUs without AVX-512): ``{"MKL_CBWR": "AVX2"}`` on an Intel CPU with
    AVX-512 (``host``: a :func:`cpu`, this one's where None), else ``{}``.

    Why: MKL runs its AVX-512 code on Intel CPUs that have it, and on other CPUs code whose last bits match its AVX2
    branch; ``update_rules.toml`` (small networks trained by PyTorch, whose float32 products MKL computes) gave
    another generator on an Intel Xeon with AVX-512 (stop 55: meta-generation 4 chosen, not 2) and the committed
    one with ``MKL_CBWR=AVX2``, which fixes MKL's AVX2 branch (Intel's "conditional numerical reproducibility").
    Not set on other CPUs: there MKL takes its AUTO branch in reproducibility mode, which may move bits too (MKL
    reads the variable once, at its first call, so it must be set before the process starts)."""
    host = cpu() if host is None else host
    avx512 = "avx512f" in (host.get("flags") or [])
    return {"MKL_CBWR": "AVX2"} if host.get("vendor") == "GenuineIntel" and avx512 else {}


def vector_level(env: Mapping[str, Any]) -> str:
    """``"AVX-512"``, ``"AVX2"``, ``"AVX"`` or ``"baseline"``: the widest vector extension the host of
    ``env`` (an :func:`environment`) has, from its CPU flags, or, for records made before those were
    kept, from PyTorch's CPU capability and NumPy's SIMD targets (``"?"`` where neither says)."""
    flags = (env.get("cpu") or {}).get("flags")
    if flags is not None:
        return next((name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX"))
                     if flag in flags), "baseline")
    capability, simd = str(env.get("torch_cpu_capability") or ""), env.get("numpy_simd") or []
    if capability.startswith("AVX512") or "X86_V4" in simd:
        return "AVX-512"
    if capability == "AVX2" or "X86_V3" in simd:
        return "AVX2"
    return "?" if not capability else "baseline"


def host_line(env: Mapping[str, Any]) -> str:
    """The host of ``env`` in a few words for a table: CPU model (where recorded), vector level
    (:func:`vector_level`), NumPy and PyTorch versions and PyTorch's kernels, e.g. ``AMD EPYC, AVX2 (no
    AVX-512); numpy 2.4.6, torch 2.13.0+cpu (kernels AVX2)``."""
    level = vector_level(env)
    model = (env.get("cpu") or {}).get("model")
    packages = env.get("packages", {})
    return (f"{model + ', ' if model else ''}{level}{' (no AVX-512)' if level in ('AVX2', 'AVX') else ''}; "
            f"numpy {packages.get('numpy')}, torch {packages.get('torch')} "
            f"(kernels {env.get('torch_cpu_capability')})")


def environment(torch: bool = True) -> dict[str, Any]:
    """The versions of Python and :data:`PACKAGES`, the CPU dispatch of PyTorch and NumPy, and which
    kernels score formulas and learners.

    ``torch_cpu_capability`` is what PyTorch's kernels dispatch to (``ATEN_CPU_CAPABILITY`` forces
    it; left out with ``torch`` False, for a run that computes nothing with PyTorch and need not import
    it); ``numpy_simd`` the dispatch targets NumPy found on this CPU beyond its baseline; ``kernels``
    ``numba`` where the compiled formula and learner kernels are used, ``numpy`` where numba is missing or
    ``MLEVOLVE_NO_JIT=1`` selects the NumPy reference (equal within the ulps the kernels' docstrings state,
    not bit for bit).  A missing package is recorded as ``None``; ``cpu`` is :func:`cpu` (model and
    vector flags).
    """
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    try:
        umath = importlib.import_module("numpy._core._multiarray_umath")  # NumPy 2's CPU dispatch tables
        simd: list[str] | None = [f for f in umath.__cpu_dispatch__ if umath.__cpu_features__.get(f)]
    except (ImportError, AttributeError):  # another NumPy layout: record that it is unknown
        simd = None
    jit = versions["numba"] is not None and os.environ.get("MLEVOLVE_NO_JIT", "") != "1"
    env = {"python": platform.python_version(), "machine": platform.machine(), "cpu": cpu(), "packages": versions,
           "numpy_simd": simd, "kernels": "numba" if jit else "numpy", "mkl_cbwr": os.environ.get("MKL_CBWR")}
    if torch:
        import torch as pytorch

        env["torch_cpu_capability"] = pytorch.backends.cpu.get_cpu_capability()
    return env


def record(archive: Any, env: Mapping[str, Any]) -> list[str]:
    """Add ``env`` (an :func:`environment`) to ``archive``'s meta ``environments``, the ones its results were
    computed in, in order (one entry per change); return how it differs from the last (``[]``: it is that one,
    or the first)."""
    seen = list(archive.meta().get("environments") or [])
    if seen and seen[-1] == env:
        return []
    archive.set_meta("environments", [*seen, dict(env)])
    return differences(seen[-1], env) if seen else []


def environment_line(env: Mapping[str, Any]) -> str:
    """``environment`` in one line, for a generator file's header."""
    packages = " ".join(f"{k} {v}" for k, v in env["packages"].items() if v is not None)
    simd = ",".join(env["numpy_simd"]) if env.get("numpy_simd") is not None else "?"
    host = env.get("cpu") or {}
    flags = " ".join(host["flags"]) if host.get("flags") is not None else "?"
    where = f" ({host.get('model') or '?'}: {flags})" if host else ""
    return (f"Python {env['python']} on {env['machine']}{where}; {packages}; torch CPU "
            f"{env.get('torch_cpu_capability', '?')}, numpy SIMD {simd}; kernels {env.get('kernels', '?')}"
            + (f"; MKL_CBWR={env['mkl_cbwr']}" if env.get("mkl_cbwr") else ""))


def differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[str]:
    """How environment ``b`` differs from ``a``, one ``name: a -> b`` entry each (``[]``: the same)."""
    flat_a = {**{k: v for k, v in a.items() if k != "packages"}, **a.get("packages", {})}
    flat_b = {**{k: v for k, v in b.items() if k != "packages"}, **b.get("packages", {})}
    return [f"{k}: {flat_a.get(k)} -> {flat_b.get(k)}" for k in sorted(flat_a.keys() | flat_b.keys())
            if flat_a.get(k) != flat_b.get(k)]


def trace(history: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]) -> dict[str, Any]:
    """The path a meta run took: per meta-generation (``history``, the archive's
    ``meta_generations``) the best's digest, meta-fitness, mean fitness, validation score and
    per-task scores, rule and operator counts and the rules mined; and from ``summary`` the chosen
    generation, the output's digest and the inner-run count.  Floats are kept exactly (JSON
    round-trips them); :func:`first_difference` compares them to 9 digits."""
    keys = ("generation", "digest", "best_fitness", "mean_fitness", "validation_score", "validation_tasks",
            "base_auc", "rules", "mined", "inner_runs")
    return {"generations": [{k: h.get(k) for k in keys} for h in history],
            "chosen_generation": summary.get("chosen_generation"), "digest": summary.get("digest"),
            "rules": summary.get("rules"), "operators": summary.get("operators"),
            "inner_runs": summary.get("inner_runs_fresh", 0) + summary.get("inner_runs_replayed", 0)}


def first_difference(expected: Any, actual: Any, path: str = "", rel: float = 1e-9) -> str | None:
    """Where two JSON-like values first differ (``generations[3].digest: committed 'ab', now 'cd'``),
    or None.  Floats are equal within relative tolerance ``rel``: another CPU's vector math (NumPy's
    AVX-512 paths against AVX2, measured) moves AUCs in the last bit without changing the search's
    path, which the exact fields (digests, mined rules, counts) and the generator file show."""
    stack: list[tuple[str, Any, Any]] = [(path, expected, actual)]  # depth first, in the committed order
    while stack:
        where, x, y = stack.pop()
        if isinstance(x, Mapping) and isinstance(y, Mapping):
            keys = [*x, *(k for k in y if k not in x)]
            stack.extend((f"{where}.{k}" if where else str(k), x.get(k), y.get(k)) for k in reversed(keys))
        elif isinstance(x, list) and isinstance(y, list) and len(x) == len(y):
            stack.extend((f"{where}[{i}]", x[i], y[i]) for i in reversed(range(len(x))))
        elif isinstance(x, float) and isinstance(y, float) and math.isclose(x, y, rel_tol=rel, abs_tol=rel):
            continue
        elif x != y:
            return f"{where or 'value'}: committed {x!r}, now {y!r}"
    return None
