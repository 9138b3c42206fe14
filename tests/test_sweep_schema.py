"""The spec's schema is declared once: the published JSON Schema is generated from the declaration and
kept in sync, accepts every good spec and rejects the structural mistakes; the normalised form (hence
every existing store's spec hash) is unchanged by the rewrite."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

import fastrisk.sweep as sw
from fastrisk.sweep import spec as spec_mod
from tests.test_sweep_spec import BAD, GOOD, _with

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# Spec hashes computed by the hand-written validator this declaration replaced (fastrisk 0.1.0): a store's
# manifest holds its spec's hash, so these must never change, or existing stores would stop resuming.
HASHES = {
    "sweep_small.toml": "37f8c55bfbc9d1e9abfd0054b8fafebc8dc15a12c2db8b00023c4dbbb62f024c",
    "sweep_bllt.toml": "500dccbed2b57bb763e4d242c469b66993721c0c186bf380e6e35997d75b5ed7",
    "GOOD": "20290b2decbe9dffefe734c1875e270fce9543dca609968acd70d3ca252db8ed",
    "ntk": "06dd79d48b05446165b21f72ca5ee58324b1bab909b36c93b13fc60257711755",
    "misc": "e1fc9fee75394645c8c48227cc82cdc56b87cee5cc415c600eff6e2f31dd07f4",
}
NTK = {"model": "ntk", "n": 20, "p": 8, "seeds": [4], "noise": 0.5, "spectrum": [{"kind": "isotropic"}],
       "path": {"lam": [0.0, 1.0], "eps": [0.0, 0.3], "norm": [2, "inf"], "target": ["clean", "noisy"]},
       "ntk": {"train": "both", "test_size": 30, "method": "pgd", "steps": 5}}
MISC = {"n": [16, 64], "p_exponent": [1.5, 1.25], "seeds": [3, 1], "stream": False, "signal": 2.5,
        "test_size": 7,
        "spectrum": [{"kind": "two_level", "low": {"n_power": 0.5, "p_power": -1}, "tau": 2.0},
                     {"kind": "spiked", "n_spikes": {"n_power": 0.5, "round": True}, "name": "sp"},
                     {"kind": "bllt_log"}],
        "path": {"lam_n": {"start": -1, "stop": 0, "num": 2},
                 "eps": {"values": [0.5], "n_power": -0.5, "relative": True},
                 "norm": [1, 2, 3.5, "inf"], "target": ["clean", "noisy"]}}


def test_spec_hashes_unchanged():
    got = {"sweep_small.toml": sw.parse_spec(EXAMPLES / "sweep_small.toml").hash,
           "sweep_bllt.toml": sw.parse_spec(EXAMPLES / "sweep_bllt.toml").hash,
           "GOOD": sw.parse_spec(GOOD).hash, "ntk": sw.parse_spec(NTK).hash, "misc": sw.parse_spec(MISC).hash}
    assert got == HASHES


def test_schema_file_in_sync():
    have = spec_mod.SCHEMA_PATH.read_text()
    assert have == spec_mod.schema_text(), (
        "fastrisk/sweep/spec.schema.json is stale: regenerate it with "
        "python -c 'import fastrisk.sweep.spec as s; s.write_json_schema()'")
    assert json.loads(have)["properties"].keys() == set(spec_mod.TOP_KEYS)


jsonschema = pytest.importorskip("jsonschema")


@pytest.fixture(scope="module")
def validator():
    schema = spec_mod.json_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("name", ["sweep_small.toml", "sweep_bllt.toml", "sweep_wishart.toml"])
def test_schema_accepts_the_examples(validator, name):
    with open(EXAMPLES / name, "rb") as fh:
        assert [e.message for e in validator.iter_errors(tomllib.load(fh))] == []


def test_schema_accepts_good_specs(validator):
    for spec in (GOOD, NTK, MISC, _with({"seeds": [0, 5], "stream": "auto", "path.norm": "Inf"}),
                 _with({"spectrum": {"kind": "power_law", "a": {"n_power": 0.1}}})):
        assert [e.message for e in validator.iter_errors(spec)] == []


# bad specs the schema cannot reject: values valid alone but not together or at a given (n, p) (checked by
# parse_spec and by the spectra functions), NaN (not JSON)
SEMANTIC = {5, 6, 7, 10, 23, 33}


@pytest.mark.parametrize("i", [i for i in range(len(BAD)) if i not in SEMANTIC])
def test_schema_rejects_structural_mistakes(validator, i):
    assert list(validator.iter_errors(BAD[i][0])), BAD[i][1]


def test_schema_states_what_tail_wishart_needs(validator):
    """Editors flag what tail = "wishart" cannot carry (parse_spec says it in one line)."""
    ok = {"n": 10, "p": 100, "tail": "wishart", "spectrum": [{"kind": "spiked", "n_spikes": 2}],
          "path": {"lam_n": [0.1], "norm": [2]}}
    assert [e.message for e in validator.iter_errors(ok)] == []
    for change in ({"path": {"lam_n": [0.1], "norm": "inf"}}, {"test_size": 5}, {"dtype": "float32"},
                   {"spectrum": {"kind": "power_law"}}, {"model": "ntk"}):
        bad = dict(ok, **change)
        assert list(validator.iter_errors(bad)), change
        with pytest.raises(sw.SpecError, match="tail = \"wishart\""):
            sw.parse_spec(bad)


def test_keys_declared_once_and_documented():
    """Every key of the declaration carries a description (editors show it) and appears in the schema."""
    schema = spec_mod.json_schema()
    for key, sub in (("path", spec_mod.PATH_KEYS), ("ntk", spec_mod.NTK_KEYS)):
        assert set(schema["properties"][key]["properties"]) == set(sub)
        assert all(schema["properties"][key]["properties"][k].get("description") for k in sub)
    assert all(schema["properties"][k].get("description") for k in spec_mod.TOP_KEYS)


def test_huge_seed_range_is_lazy_and_hashes_like_its_list():
    t0 = time.perf_counter()
    big = sw.parse_spec(_with({"seeds": 100_000_000}))
    assert isinstance(big.seeds, range) and len(big.seeds) == 100_000_000
    assert time.perf_counter() - t0 < 1.0
    k = 200_003  # more than one streamed chunk of the hash
    assert sw.parse_spec(_with({"seeds": k})).hash == sw.parse_spec(_with({"seeds": list(range(k))})).hash


def test_a_billion_penalties_is_a_spec_error():
    t0 = time.perf_counter()
    with pytest.raises(sw.SpecError, match=r"path.lam_n.num = 1000000000 penalties cannot be held"):
        sw.parse_spec(_with({"path.lam_n": {"start": -3, "stop": 1, "num": 10**9}}, drop=("path.lam",)))
    assert time.perf_counter() - t0 < 1.0


def test_cli_prints_the_schema(capsys):
    from fastrisk.cli import main as cli_main

    assert cli_main(["sweep", "--schema"]) == 0
    assert capsys.readouterr().out == spec_mod.SCHEMA_PATH.read_text()


def test_room_for_a_kind_axis_with_common_keys_and_file_parameters():
    """A new grid axis of tables (as a future [[theta_star]]) is one KindArray over a registry: string
    parameters (a file name) and keys common to every kind (a scale) parse and describe themselves, and a
    spectrum, which has neither, keeps its canonical form (hence its hash)."""
    from fastrisk.sweep.fields import Number
    from fastrisk.sweep.kinds import KindArray

    def e1(p: int) -> None: ...

    def from_file(p: int, path: str, column: int = 0) -> None: ...

    axis = KindArray("ground truths", key="theta_star", registry={"e1": e1, "file": from_file},
                     common={"scale": Number("||theta*||", 1.0, minimum=0.0)})
    got = axis.parse([{"kind": "e1"}, {"kind": "file", "path": "t.npy", "scale": 2.0, "name": "f"}],
                     "theta_star")
    assert got[0].options == {"scale": 1.0} and got[1].params == {"path": "t.npy"}
    assert got[1].to_json()["options"] == {"scale": 2.0}
    with pytest.raises(sw.SpecError, match=r"theta_star\[0\].path must be a non-empty string"):
        axis.parse([{"kind": "file", "path": 3}], "theta_star")
    with pytest.raises(sw.SpecError, match=r"theta_star\[0\].scale must be >= 0"):
        axis.parse([{"kind": "e1", "scale": -1}], "theta_star")
    schema = axis.schema()
    jsonschema.Draft7Validator({**schema, "definitions": {"scaled": {}}}).validate(
        [{"kind": "file", "path": "t.npy", "scale": 2.0}])
    assert "options" not in sw.parse_spec(GOOD).spectra[0].to_json()
