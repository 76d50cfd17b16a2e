"""EKS cluster with managed node groups sized within the environment's caps."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from finops_core import catalogue
from finops_core.cap_policies import CAP_POLICY

from .caps import CapError, Target, refuse, require_at_most, require_instance
from .cluster_network import ClusterNetwork, ClusterNetworkArgs, plan_network
from .environment import Environment
from .locations import code_location
from .log_group import LogGroup, LogGroupArgs
from .tagging import current_environment

_NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


@dataclass
class NodeGroupSpec:
    """One managed node group of :class:`KubernetesCluster`, for one ``service``.

    Sizes left as None take the environment's defaults: ``instance_types`` (e.g.
    ``["t4g.medium"]``) and ``max_size``; ``min_size <= desired_size <= max_size``;
    ``disk_size_gib`` is each node's volume; ``labels`` are added to the nodes'.
    ``capacity_type`` is ``SPOT`` (interruptible, far cheaper) or ``ON_DEMAND``; left as None
    it is SPOT outside prod and ON_DEMAND in prod, as policy ``finops-advice-spot`` advises
    (spot capacity is found more easily with two or more instance types).

    Example: ``finops.NodeGroupSpec(service="ui", instance_types=["t4g.medium"], max_size=2)``
    """

    service: str
    instance_types: Sequence[str] | None = None
    min_size: int = 1
    desired_size: int = 1
    max_size: int | None = None
    capacity_type: str | None = None  # default: SPOT outside prod, ON_DEMAND in prod
    disk_size_gib: int = 20
    labels: dict[str, str] = field(default_factory=dict)


@dataclass
class KubernetesClusterArgs:
    """Arguments of :class:`KubernetesCluster`: ``subnet_ids``, the ``node_groups``
    (:class:`NodeGroupSpec`), an opt-in ``gpu_node_group``, the EKS ``version``, the
    cluster's ``service`` tag (default: the program's, from ``finops.enforce()``) and the
    optional ``feature`` allocation tag. Instead of ``subnet_ids``, ``network``
    (:class:`ClusterNetworkArgs`) has the cluster build its own VPC, with no more NAT gateways
    than the environment allows (dev: one).

    Example: ``finops.KubernetesClusterArgs(subnet_ids=subnets, node_groups=[finops.NodeGroupSpec(service="ui")])``
    """

    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]] | None
    node_groups: Sequence[NodeGroupSpec]
    # Opt-in GPU nodes (e.g. SLM classification); refused where the environment allows no GPU.
    gpu_node_group: NodeGroupSpec | None = None
    # The newest EKS version in standard support (until 2027-03-27, per the EKS release calendar):
    # an older default is billed at the extended-support price ($0.60 an hour, not $0.10) once
    # its standard support ends (1.34's ends 2026-12-02).
    version: str = "1.35"
    service: str | None = None  # default: the program's Service (and Team), from enforce()
    feature: str | None = None
    network: ClusterNetworkArgs | None = None   # build a VPC for the cluster (subnet_ids=None)
    # The API endpoint is private (reachable from the VPC); these CIDRs (e.g. CI runners' egress
    # addresses, from stack config) may reach it publicly as well. None or empty: private only.
    public_access_cidrs: Sequence[str] | None = None
    # The cluster's name where control-plane logs are on (its log group, /aws/eks/<name>/cluster,
    # is made first with the environment's retention): default <project>-<stack>-<name>. An
    # existing cluster keeps its place by naming itself here.
    cluster_name: str | None = None


# EKS control-plane log types kept where the rules set controlPlaneLogs: who called the API, and
# how they were authenticated (the other types are operational, and billed per GB all the same).
CONTROL_PLANE_LOGS = ("audit", "authenticator")
# What the cluster role needs of the key that envelope-encrypts Kubernetes secrets.
SECRETS_KEY_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey")
EKS_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")


@dataclass
class _PlannedGroup:
    spec: NodeGroupSpec
    instance_types: list[str]
    max_size: int
    gpu: bool
    capacity_type: str


CAPACITY_TYPES = ("ON_DEMAND", "SPOT")


def _capacity_type(where: Target, spec: NodeGroupSpec, env: Environment) -> str:
    """The spec's capacity type, else SPOT outside prod (mirroring finops-advice-spot)."""
    if spec.capacity_type is None:
        return "ON_DEMAND" if env.name == "prod" else "SPOT"
    if spec.capacity_type not in CAPACITY_TYPES:
        raise CapError(f"{code_location()}: {where.component}: capacity_type: found {spec.capacity_type!r}; "
                       f"allowed: {' or '.join(CAPACITY_TYPES)}.")
    return spec.capacity_type


NODE_GROUP_TYPE = "aws:eks/nodeGroup:NodeGroup"


def _group_name(cluster: str, service: str, gpu: bool) -> str:
    return f"{cluster}-{service}" + ("-gpu" if gpu else "")


def _plan(name: str, args: KubernetesClusterArgs, env: Environment) -> list[_PlannedGroup]:
    """Every node group with defaults filled in, checked against the caps."""
    caps, defaults = env.rules, env.rules.defaults
    planned = []
    groups = [(spec, False) for spec in args.node_groups]
    if args.gpu_node_group is not None:
        gpu_spec = args.gpu_node_group
        target = Target(f"KubernetesCluster '{name}'", NODE_GROUP_TYPE, _group_name(name, gpu_spec.service, True))
        message = (f"{target.component}: {env.name} GPU nodes: found gpu_node_group; allowed: no GPU in {env.name}. "
                   f"Fix: leave gpu_node_group out in {env.name}.")
        if caps.instance.max_gpus < 1:
            refuse(target, CAP_POLICY["instance"], message)
        if not defaults.gpu_instance_type and not gpu_spec.instance_types:
            raise CapError(f"{code_location()}: {target.component}: GPU nodes: found gpu_node_group without "
                           f"instance_types; allowed: instance_types set, as {env.name} has no default GPU type. "
                           "Fix: set instance_types, e.g. [\"g4dn.xlarge\"].")
        groups.append((gpu_spec, True))
    for spec, gpu in groups:
        where = Target(f"KubernetesCluster '{name}' node group {spec.service}", NODE_GROUP_TYPE,
                       _group_name(name, spec.service, gpu))
        types = list(spec.instance_types or [defaults.gpu_instance_type if gpu else defaults.node_instance_type])
        for instance_type in types:
            if not (gpu and caps.instance.max_gpus < 1):  # a waived GPU group is judged by its waiver
                require_instance(where, CAP_POLICY["instance"], "instance_types", instance_type, caps.instance, env,
                                 "instance")
            known = catalogue.lookup(instance_type)
            if gpu and known is not None and known.accelerators == 0:
                raise CapError(f"{code_location()}: {where.component}: GPU node group: found instance_types="
                               f"{instance_type} (no GPU); allowed: a GPU instance type. Fix: choose a GPU type such "
                               "as g4dn.xlarge.")
        max_size = spec.max_size if spec.max_size is not None else min(defaults.node_group_max_size,
                                                                       caps.node_group.max_size)
        require_at_most(where, CAP_POLICY["nodeGroup"], "max_size", max_size, caps.node_group.max_size, "nodes", env,
                        ("nodeGroup", "maxSize"))
        require_at_most(where, CAP_POLICY["ebsVolume"], "disk_size_gib", spec.disk_size_gib,
                        caps.ebs_volume.max_size_gib, "GiB", env, ("ebsVolume", "maxSizeGib"))
        if not 0 <= spec.min_size <= spec.desired_size <= max_size:
            raise CapError(f"{code_location()}: {where.component}: scaling: found min_size={spec.min_size}, "
                           f"desired_size={spec.desired_size}, max_size={max_size}; allowed: 0 <= min <= desired "
                           "<= max.")
        planned.append(_PlannedGroup(spec, types, max_size, gpu, _capacity_type(where, spec, env)))
    return planned


def _assume_role_policy(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


class KubernetesCluster(pulumi.ComponentResource):
    """An EKS cluster with managed node groups sized within the environment's caps.

    Creates the cluster and its IAM role, a KMS key that envelope-encrypts its Kubernetes
    secrets, an API endpoint that is private plus public only to ``public_access_cidrs``, where
    the rules set ``controlPlaneLogs`` (staging, prod) its audit and authenticator logs in a log
    group with the environment's retention, a node IAM role with the worker, CNI and ECR
    policies, one managed node group per :class:`NodeGroupSpec` (the arm64 AMI for Graviton
    types; spot capacity outside prod unless the spec says otherwise), an opt-in GPU node
    group (NVIDIA AMI, tainted) and a Kubernetes provider for the cluster (``provider``, for
    :class:`TeamNamespace` and your workloads).

    Caps, checked before anything is created (:class:`CapError`, unless waivers.yaml approves
    the node group for this stack): instance types' vCPUs, memory and GPUs
    (``finops-instance-size``; dev at most 2 vCPU, 8 GiB, no GPU, so no GPU node group),
    ``max_size`` (``finops-node-group-size``; dev 3) and ``disk_size_gib``
    (``finops-ebs-volume-size``; dev 100 GiB).

    Example::

        finops.enforce()
        cluster = finops.KubernetesCluster("platform", finops.KubernetesClusterArgs(
            subnet_ids=subnet_ids, node_groups=[finops.NodeGroupSpec(service="ui")]))
    """

    cluster: aws.eks.Cluster
    node_groups: dict[str, aws.eks.NodeGroup]
    secrets_key: aws.kms.Key
    control_plane_logs: LogGroup | None = None
    kubeconfig: pulumi.Output[str]
    provider: k8s.Provider

    def __init__(self, name: str, args: KubernetesClusterArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        env = current_environment()
        planned = _plan(name, args, env)  # before anything is registered
        if (args.subnet_ids is None) == (args.network is None):
            raise CapError(f"{code_location()}: KubernetesCluster '{name}': found "
                           f"{'neither' if args.network is None else 'both'} subnet_ids and network; allowed: "
                           "exactly one (existing subnets, or a network the cluster builds).")
        network_plan = plan_network(f"KubernetesCluster '{name}' network", args.network, env) \
            if args.network is not None else None
        super().__init__("finops:index:KubernetesCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = env.tags_for(service=args.service, feature=args.feature)
        self.network = ClusterNetwork(f"{name}-network", network_plan, tags, child) if network_plan else None
        # The NAT gateways of the cluster's own network (for NetworkTrafficAlarms); none with subnet_ids.
        self.nat_gateways = list(self.network.nat_gateways) if self.network else []
        subnet_ids = [s.id for s in self.network.private_subnets] if self.network else args.subnet_ids

        cluster_role = aws.iam.Role(f"{name}-cluster-role", assume_role_policy=_assume_role_policy(
            "eks.amazonaws.com"), tags=tags, opts=child)
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-cluster-policy", role=cluster_role.name,
            policy_arn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy", opts=child)
        # Kubernetes secrets are envelope-encrypted with a key of the cluster's own.
        self.secrets_key = aws.kms.Key(f"{name}-secrets-key", description=f"EKS secrets of {name} ({env.name})",
                                       enable_key_rotation=True, deletion_window_in_days=30, tags=tags, opts=child)
        key_use = aws.iam.RolePolicy(f"{name}-cluster-secrets-key", role=cluster_role.id,
                                     policy=self.secrets_key.arn.apply(lambda arn: json.dumps({
                                         "Version": "2012-10-17", "Statement": [{
                                             "Effect": "Allow", "Action": list(SECRETS_KEY_ACTIONS),
                                             "Resource": arn}]})), opts=child)
        cidrs = list(args.public_access_cidrs or [])
        extra_cluster: dict[str, Any] = {}
        depends: list[pulumi.Resource] = [cluster_policy, key_use]
        if env.rules.defaults.control_plane_logs:
            cluster_name = args.cluster_name or f"{pulumi.get_project()}-{pulumi.get_stack()}-{name}"[:100]
            if not EKS_NAME.match(cluster_name):
                raise CapError(f"{code_location()}: KubernetesCluster '{name}': cluster_name: found {cluster_name!r}; "
                               "allowed: 1 to 100 letters, digits, - and _, a letter or digit first.")
            self.control_plane_logs = LogGroup(f"{name}-control-plane-logs", LogGroupArgs(
                service=args.service or tags["Service"], name=f"/aws/eks/{cluster_name}/cluster",
                feature=args.feature), opts=child)
            depends.append(self.control_plane_logs)
            extra_cluster = {"name": cluster_name, "enabled_cluster_log_types": list(CONTROL_PLANE_LOGS)}
        self.cluster = aws.eks.Cluster(
            name, role_arn=cluster_role.arn, version=args.version,
            vpc_config={"subnet_ids": subnet_ids, "endpoint_private_access": True,
                        "endpoint_public_access": bool(cidrs), **({"public_access_cidrs": cidrs} if cidrs else {})},
            encryption_config={"provider": {"key_arn": self.secrets_key.arn}, "resources": ["secrets"]},
            tags=tags, opts=pulumi.ResourceOptions(parent=self, depends_on=depends), **extra_cluster)

        node_role = aws.iam.Role(f"{name}-node-role", assume_role_policy=_assume_role_policy("ec2.amazonaws.com"),
                                 tags=tags, opts=child)
        attachments = [aws.iam.RolePolicyAttachment(f"{name}-node-{policy}", role=node_role.name,
                                                    policy_arn=f"arn:aws:iam::aws:policy/{policy}", opts=child)
                       for policy in _NODE_POLICIES]
        self.node_role = node_role
        self.node_groups = {}
        for group in planned:
            spec = group.spec
            group_name = _group_name(name, spec.service, group.gpu)
            labels = {"service": spec.service, **spec.labels}
            extra: dict[str, Any] = {}
            if group.gpu:
                labels["nvidia.com/gpu.present"] = "true"
                extra = {"ami_type": "AL2023_x86_64_NVIDIA",
                         "taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}]}
            elif all(getattr(catalogue.lookup(t), "arch", "") == "arm64" for t in group.instance_types):
                extra = {"ami_type": "AL2023_ARM_64_STANDARD"}  # Graviton nodes need the arm64 AMI
            self.node_groups[group_name] = aws.eks.NodeGroup(
                group_name, cluster_name=self.cluster.name, node_role_arn=node_role.arn,
                subnet_ids=subnet_ids, instance_types=group.instance_types,
                scaling_config={"min_size": spec.min_size, "desired_size": spec.desired_size,
                                "max_size": group.max_size},
                disk_size=spec.disk_size_gib, labels=labels, capacity_type=group.capacity_type,
                tags=env.tags_for(service=spec.service, feature=args.feature),
                # The desired size is the night schedule's (AutoShutdown) and the autoscaler's to
                # change: a `pulumi up` at night must not start the nodes again.
                opts=pulumi.ResourceOptions(parent=self, depends_on=attachments,
                                            ignore_changes=["scalingConfig.desiredSize"]), **extra)

        self.kubeconfig = pulumi.Output.all(self.cluster.name, self.cluster.endpoint,
                                            self.cluster.certificate_authority).apply(_kubeconfig)
        self.provider = k8s.Provider(f"{name}-k8s", kubeconfig=self.kubeconfig, opts=child)
        self.register_outputs({"cluster_name": self.cluster.name, "kubeconfig": self.kubeconfig,
                               "node_groups": list(self.node_groups)})


def _kubeconfig(values: list[object]) -> str:
    name, endpoint, authority = values
    data = authority.get("data") if isinstance(authority, dict) else getattr(authority, "data", "")
    return json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "eks",
        "clusters": [{"name": "eks", "cluster": {"server": endpoint, "certificate-authority-data": data}}],
        "contexts": [{"name": "eks", "context": {"cluster": "eks", "user": "eks"}}],
        "users": [{"name": "eks", "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", name]}}}],
    })
