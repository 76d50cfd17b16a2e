"""Managed services with a size fixed by configuration: MSK, Amazon MQ, Kinesis, EFS provisioned
throughput, CloudWatch alarms and Lambda provisioned concurrency."""

from __future__ import annotations

from ..quote import Quote, Unpriced, model
from ..values import MISSING

# Amazon MQ brokers per deployment mode (ActiveMQ active/standby: 2; RabbitMQ cluster: 3).
MQ_BROKERS = {"SINGLE_INSTANCE": 1, "ACTIVE_STANDBY_MULTI_AZ": 2, "CLUSTER_MULTI_AZ": 3}


@model("msk-cluster")
def msk_cluster(q: Quote) -> None:
    brokers = q.number("brokers", 1)
    broker = q.known("instanceType")
    q.hourly(f"broker {broker} x {brokers:g}", brokers, "msk", broker, "broker type")
    size = q.number("volumeSize", 1000)   # MSK's default broker volume
    q.fixed(f"broker storage x {brokers:g}", size * brokers, "GB-months", "mskStorageGbMonth", "ebs", "MSK storage")


@model("mq-broker")
def mq_broker(q: Quote) -> None:
    mode = q.text("deploymentMode", "SINGLE_INSTANCE")
    brokers = MQ_BROKERS.get(mode)
    if brokers is None:
        raise Unpriced(f"deploymentMode={mode!r}: one of {', '.join(MQ_BROKERS)}", "bad-value")
    host = q.known("instanceType")
    q.hourly(f"broker {host} x {brokers}", brokers, "mq", host, "broker instance type")
    engine = q.text("engine", "ActiveMQ")
    efs = engine.lower() == "activemq" and q.text("storageType", "efs").lower() == "efs"
    q.usage("broker storage (EFS)" if efs else "broker storage (EBS)", "storageGb", "GB-months", "mqStorage",
            "efs_gb_month" if efs else "ebs_gb_month")


@model("kinesis-stream")
def kinesis_stream(q: Quote) -> None:
    if q.text("streamMode", "PROVISIONED") == "ON_DEMAND":
        q.hourly("on-demand stream", 1, "hourly", "kinesisOnDemandStream", "on-demand stream")
        q.usage("data ingested", "monthlyIngestedGb", "GB", "kinesis", "on_demand_ingest_gb")
        q.usage("data retrieved", "monthlyRetrievedGb", "GB", "kinesis", "on_demand_retrieval_gb")
        return
    shards = q.number("shardCount", 1)
    q.hourly(f"shards x {shards:g}", shards, "hourly", "kinesisShard", "shard")
    q.usage("PUT payload units", "monthlyPutPayloadUnits", "units", "kinesis", "put_payload_units_per_1M", 1e6)


@model("efs-file-system")
def efs_file_system(q: Quote) -> None:
    one_zone = q.known("availabilityZoneName") is not None
    q.usage("storage (One Zone)" if one_zone else "storage (Standard)", "storageGb", "GB-months", "efs",
            "one_zone_gb_month" if one_zone else "standard_gb_month")
    q.usage("storage (Infrequent Access)", "infrequentAccessStorageGb", "GB-months", "efs",
            "one_zone_ia_gb_month" if one_zone else "standard_ia_gb_month")
    if q.text("throughputMode", "bursting") != "provisioned":
        return
    provisioned = q.number("provisionedMibps", 0)
    stored = q.amounts.get("storageGb")
    if stored is not None:
        # Standard storage includes 50 KiB/s per GiB (1 MiB/s per 20 GiB); only the rest is billed.
        provisioned = max(provisioned - stored / 20, 0)
        q.note(f"provisioned throughput less the {stored / 20:g} MiB/s included with {stored:g} GB stored")
    q.fixed(f"provisioned throughput {provisioned:g} MiB/s", provisioned, "MiB/s-months", "efs",
            "provisioned_throughput_mibps_month", "provisioned throughput")


@model("metric-alarm")
def metric_alarm(q: Quote) -> None:
    expressions = [v for _, v in q.values("queryExpression") if isinstance(v, str)]
    periods = [q.number("period", 60)] + [q.as_number(v, 60, "period") for _, v in q.values("queryPeriod")]
    high = any(0 < period < 60 for period in periods)
    if any("ANOMALY_DETECTION_BAND" in e for e in expressions):
        key = "cloudwatchAnomalyDetectionHighResPerAlarm" if high else "cloudwatchAnomalyDetectionStandardPerAlarm"
        q.fixed("anomaly detection alarm (3 metrics)", 1, "alarm-months", "monthly", key, "anomaly detection alarm")
        return
    metrics = sum(1 for _, v in q.values("queryMetric") if v is not MISSING) or 1
    key = "cloudwatchAlarmHighResolution" if high else "cloudwatchAlarmStandard"
    resolution = "high-resolution" if high else "standard"
    q.fixed(f"{resolution} alarm metrics", metrics, "metric-months", "monthly", key, f"{resolution} alarm")


@model("lambda-provisioned-concurrency")
def lambda_provisioned_concurrency(q: Quote) -> None:
    kind, inputs = q.required_related("aws:lambda/function:Function", "functionName",
                                      "the memory size is set by a function")
    memory = q.as_number(kind.value(inputs, "memorySize"), 128, "memorySize")
    concurrency = q.number("concurrency", 0)
    seconds = q.hours * 3600
    q.fixed(f"provisioned concurrency {concurrency:g} x {memory:g} MB", concurrency * memory / 1024 * seconds,
            "GB-seconds", "lambda", "provisioned_concurrency_x86_gb_second", "provisioned concurrency")


@model("kinesis-stream-consumer")
def kinesis_stream_consumer(q: Quote) -> None:
    kind, inputs = q.required_related("aws:kinesis/stream:Stream", "streamArn", "the shard count is set by a stream")
    shards = q.as_number(kind.value(inputs, "shardCount"), 1, "shardCount")
    q.fixed(f"enhanced fan-out ({shards:g} shards)", shards * q.hours, "consumer-shard-hours", "kinesis",
            "efo_consumer_shard_hour", "enhanced fan-out")
    q.usage("enhanced fan-out data retrieved", "monthlyRetrievedGb", "GB", "kinesis", "efo_retrieval_gb")


@model("dynamodb-table-replica")
def dynamodb_table_replica(q: Quote) -> None:
    kind, inputs = q.required_related("aws:dynamodb/table:Table", "globalTableArn",
                                      "the write capacity is set by a table")
    if kind.value(inputs, "billingMode") == "PAY_PER_REQUEST":
        q.note("on-demand table: replicated writes are usage-priced")
        return
    wcu = q.as_number(kind.value(inputs, "writeCapacity"), 0, "writeCapacity")
    key = f"replicated_wcu_hour_{q.region.replace('-', '_')}"
    if not q.has_price("dynamodb", key):
        key = "wcu_hour"
        q.note("replicated WCU at the write-capacity price")
    q.hourly(f"replicated write capacity ({wcu:g} rWCU)", wcu, "dynamodb", key, "replicated WCU")
