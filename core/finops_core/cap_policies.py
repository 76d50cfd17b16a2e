"""Which policy of the pack judges which cap section of rules.yaml.

The pack names its sizing policies from this map, and the components name the same policy when
they refuse a size at construction, so both sides of a refusal read alike and a rename is one
line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

CAP_POLICY: Mapping[str, str] = MappingProxyType({
    "instance": "finops-instance-size",
    "nodeGroup": "finops-node-group-size",
    "database": "finops-database-size",
    "cache": "finops-cache-size",
    "search": "finops-search-size",
    "streaming": "finops-streaming-size",
    "warehouse": "finops-warehouse-size",
    "analytics": "finops-analytics-size",
    "machineLearning": "finops-ml-size",
    "task": "finops-task-size",
    "ebsVolume": "finops-ebs-volume-size",
    "lambda": "finops-lambda-memory",
    "logRetention": "finops-log-retention",
    "container": "finops-container-limits",
    "provisioning": "finops-provisioning-limits",
})
