"""The instance catalogue and its generator."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

from finops_core import catalogue

ROOT = Path(__file__).resolve().parents[1]


def test_catalogue_covers_every_ec2_type_from_the_source() -> None:
    types = catalogue.all_types()
    assert len(types) >= 1200
    micro = catalogue.lookup("t3.micro")
    assert micro is not None and (micro.vcpus, micro.memory_mib, micro.accelerators) == (2, 1024, 0)
    big = catalogue.lookup("m5.24xlarge")
    assert big is not None and (big.vcpus, big.memory_gib) == (96, 384)
    gpu = catalogue.lookup("g4dn.xlarge")
    assert gpu is not None and gpu.accelerators == 1
    neuron = catalogue.lookup("inf2.xlarge")
    assert neuron is not None and neuron.accelerators == 1  # Inferentia counts as an accelerator


def test_rds_and_elasticache_classes_resolve_to_their_ec2_twin() -> None:
    assert catalogue.lookup("db.r5.8xlarge") == catalogue.lookup("r5.8xlarge")
    assert catalogue.lookup("cache.t4g.micro") == catalogue.lookup("t4g.micro")


def test_unknown_types_get_nearest_suggestions_in_their_own_spelling() -> None:
    assert catalogue.lookup("m5.huge") is None
    assert "m5.large" in catalogue.nearest("m5.huge")
    assert all(name.startswith("db.") for name in catalogue.nearest("db.r5.8xlarg"))


def test_generator_reads_describe_instance_types_shape(tmp_path: Path) -> None:
    source = {
        "x9.large": {"InstanceType": "x9.large", "VCpuInfo": {"DefaultVCpus": 2}, "MemoryInfo": {"SizeInMiB": 8192},
                     "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]}, "CurrentGeneration": True},
        "g9.xlarge": {"InstanceType": "g9.xlarge", "VCpuInfo": {"DefaultVCpus": 4}, "MemoryInfo": {"SizeInMiB": 16384},
                      "GpuInfo": {"Gpus": [{"Count": 2}]}, "NeuronInfo": {"NeuronDevices": [{"Count": 1}]},
                      "ProcessorInfo": {"SupportedArchitectures": ["arm64"]}, "CurrentGeneration": False},
    }
    src = tmp_path / "types.json.gz"
    with gzip.open(src, "wt") as handle:
        json.dump(source, handle)
    out = tmp_path / "out.tsv"
    subprocess.run([sys.executable, str(ROOT / "scripts/generate_instance_catalogue.py"), "--source", str(src),
                    "--output", str(out)], check=True, capture_output=True)
    lines = out.read_text().splitlines()
    assert lines[1] == "type\tvcpus\tmemory_mib\taccelerators\tarch\tcurrent_generation"
    assert lines[2:] == ["g9.xlarge\t4\t16384\t3\tarm64\t0", "x9.large\t2\t8192\t0\tx86_64\t1"]
