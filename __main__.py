"""The AI-agent security platform: one environment per stack, built from the FinOps components.

    pulumi up -s dev        # or staging, prod

Everything created here carries the mandatory cost-allocation tags and labels (enforce()),
stays inside its environment's caps, and is watched by budgets with 50/75/90 % alerts.
"""

import finops_components as finops
import pulumi
import pulumi_aws as aws
from finops_components.auto_shutdown import NodeGroupSchedule

SERVICES = ("ssa", "policy-engine", "audit", "ui")
TEAMS = {"backend": "policy-engine", "frontend": "ui", "devops": "ssa", "security": "audit"}

env = finops.enforce()
config = pulumi.Config()
defaults = env.rules.defaults

# The network: a VPC the cluster builds (stack config `network`: zones, CIDR, NAT gateways within
# the environment's limit), else subnets from stack config, else the account's default VPC.
network = config.get_object("network")
subnet_ids = config.get_object("subnetIds")
if not subnet_ids and network is None:
    vpc = aws.ec2.get_vpc(default=True)
    subnet_ids = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}]).ids

node_size = config.get_object("nodeGroups") or {}
cluster = finops.KubernetesCluster("platform", finops.KubernetesClusterArgs(
    subnet_ids=None if network is not None else subnet_ids,
    network=finops.ClusterNetworkArgs(**{k: network[c] for k, c in (
        ("availability_zones", "availabilityZones"), ("cidr_block", "cidrBlock"), ("nat_gateways", "natGateways"))
        if c in network}) if network is not None else None,
    service="ssa",
    # The API endpoint is private; stack config may open it to CI's and operators' addresses.
    public_access_cidrs=config.get_object("publicAccessCidrs"),
    node_groups=[
        finops.NodeGroupSpec(
            service=service,
            instance_types=node_size.get("instanceTypes"),
            desired_size=node_size.get("desiredSize", 1),
            max_size=node_size.get("maxSize"),
        )
        for service in SERVICES
    ],
    # SLM classification for the ssa service runs on GPU nodes where the environment allows them.
    gpu_node_group=(finops.NodeGroupSpec(service="ssa", min_size=0, desired_size=1, max_size=2,
                                         labels={"workload": "slm-classification"})
                    if env.rules.instance.max_gpus > 0 and config.get_bool("gpuNodes") is not False else None),
))

namespaces = [
    finops.TeamNamespace(f"ns-{team}", finops.TeamNamespaceArgs(team=team, service=service),
                         opts=pulumi.ResourceOptions(provider=cluster.provider))
    for team, service in TEAMS.items()
]

if cluster.network is not None:
    subnet_ids = [s.id for s in cluster.network.private_subnets]
database = finops.Database("policy-store", finops.DatabaseArgs(
    subnet_ids=subnet_ids, service="policy-engine",
    instance_class=config.get("databaseClass"), allocated_storage_gib=config.get_int("databaseStorageGib")))
cache = finops.Cache("sessions", finops.CacheArgs(
    subnet_ids=subnet_ids, service="ssa", node_type=config.get("cacheNodeType")))
audit_logs = finops.AuditLogBucket("audit-logs", finops.AuditLogBucketArgs(service="audit"))
log_groups = [finops.LogGroup(f"logs-{service}", finops.LogGroupArgs(
    service=service, name=f"/ai-agent-security-platform/{env.name}/{service}")) for service in SERVICES]
budgets = finops.BudgetAlerts("budget", finops.BudgetAlertsArgs(
    service="audit",
    # What dev's emergency action stops at 100 % of the budget (staging/prod deny new compute instead).
    emergency_db_instance_ids=[database.instance.identifier],
    # The nodes launch through their own role: staging/prod's brake reaches it as well as the deployer.
    compute_roles=[cluster.node_role.name],
    activate_cost_allocation_tags=config.get_bool("activateCostAllocationTags") is not False))

# NAT egress watched day by day against the environment's monthly limit (rules.yaml network), on
# the budget's topic: the cluster's own NAT gateways and those of an existing VPC (`natGatewayIds`).
if budgets.plan is not None:   # a stack covered by a shared budget has no topic of its own
    finops.NetworkTrafficAlarms("egress", finops.NetworkTrafficAlarmsArgs(
        nat_gateway_ids=[g.id for g in cluster.nat_gateways] + list(config.get_object("natGatewayIds") or []),
        topic_arn=budgets.topic.arn, service="ssa"))

if env.rules.auto_shutdown.enabled:
    finops.AutoShutdown("night-shutdown", finops.AutoShutdownArgs(
        service="ssa",
        db_instance_identifiers=[database.instance.identifier],
        # Back in the morning to the size the cluster declares (stack config, else the defaults).
        node_groups=[NodeGroupSchedule(cluster_name=cluster.cluster.name, node_group_name=group.node_group_name,
                                       desired_size=1, min_size=1,
                                       max_size=node_size.get("maxSize") or min(defaults.node_group_max_size,
                                                                                env.rules.node_group.max_size))
                     for group in cluster.node_groups.values()],
    ))

pulumi.export("environment", env.name)
pulumi.export("cluster_name", cluster.cluster.name)
pulumi.export("database_endpoint", database.instance.endpoint)
pulumi.export("audit_log_bucket", audit_logs.bucket.bucket)
pulumi.export("monthly_budget_usd", budgets.plan.monthly_limit)
