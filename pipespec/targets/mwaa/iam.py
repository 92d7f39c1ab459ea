"""The MWAA execution role's policies, scoped to exactly what the environment and the DAGs' tasks call.

Two documents: the environment's (its S3 bucket, its log groups `airflow-<env>-*`, its metrics and
Celery queue) and one per pipeline (the Glue jobs, Athena workgroup, ECS task definitions, Redshift
cluster, secrets and SNS topic its DAG calls), derived from the operator plans the DAG was generated
from, never from the spec a second time.

ARNs are templates: `${Partition}`, `${Region}`, `${Account}`, `${SourceBucketArn}`,
`${AlertTopicArn}` and `${SecretArn:<secret name>}` are filled in by the component. A `"*"` resource
(or a `*` inside an ARN) appears only where AWS allows nothing narrower; each such statement's Sid says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..composer.plan import OperatorPlan
from .stack import MwaaStack

ARN = "arn:${Partition}"
REGIONAL = "${Region}:${Account}"
SOURCE_BUCKET = "${SourceBucketArn}"
ALERT_TOPIC = "${AlertTopicArn}"


def secret_arn(name: str) -> str:
    return "${SecretArn:" + name + "}"


def _arn(service: str, resource: str) -> str:
    return f"{ARN}:{service}:{REGIONAL}:{resource}"


def _statement(sid: str, actions: Iterable[str], resources: Iterable[str] | str, **condition: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(set(actions)),
        "Resource": resources if isinstance(resources, str) else sorted(set(resources)),
    }
    if condition:
        out["Condition"] = condition
    return out


def log_groups_arn(environment: str) -> str:
    """MWAA writes to five groups named airflow-<environment>-<DAGProcessing|Scheduler|Task|WebServer|Worker>."""
    return _arn("logs", f"log-group:airflow-{environment}-*")


def environment_policy(stack: MwaaStack) -> dict[str, Any]:
    """What MWAA itself needs (AWS's execution role policy, narrowed to this environment and bucket)."""
    env = stack.environment_name
    bucket = [SOURCE_BUCKET, f"{SOURCE_BUCKET}/*"]
    statements = [
        _statement("PublishEnvironmentMetrics", ["airflow:PublishMetrics"], [_arn("airflow", f"environment/{env}")]),
        {"Sid": "NoBucketListing", "Effect": "Deny", "Action": ["s3:ListAllMyBuckets"], "Resource": sorted(bucket)},
        _statement("ReadDagsAndRequirements", ["s3:GetObject*", "s3:GetBucket*", "s3:List*"], bucket),
        _statement(
            "WriteEnvironmentLogs",
            [
                "logs:CreateLogStream",
                "logs:CreateLogGroup",
                "logs:PutLogEvents",
                "logs:GetLogEvents",
                "logs:GetLogRecord",
                "logs:GetLogGroupFields",
                "logs:GetQueryResults",
            ],
            [log_groups_arn(env)],
        ),
        _statement("DescribeLogGroupsHasNoResourceLevelPermissions", ["logs:DescribeLogGroups"], "*"),
        _statement("AccountPublicAccessBlockIsAnAccountLevelCall", ["s3:GetAccountPublicAccessBlock"], "*"),
        _statement("PutMetricDataHasNoResourceLevelPermissions", ["cloudwatch:PutMetricData"], "*"),
        # The Celery queue lives in an account MWAA owns: its account id is not known in advance.
        _statement(
            "UseCeleryQueueInMwaaServiceAccount",
            [
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "sqs:SendMessage",
            ],
            [f"{ARN}:sqs:${{Region}}:*:airflow-celery-*"],
        ),
    ]
    kms = ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey*", "kms:Encrypt"]
    if stack.kms_key_arn:
        via = ["sqs.${Region}.amazonaws.com", "s3.${Region}.amazonaws.com"]
        statements.append(_statement("UseEnvironmentKey", kms, [stack.kms_key_arn], StringLike={"kms:ViaService": via}))
    else:
        # The AWS owned key of the Celery queue is in MWAA's account: anything but this account's keys, via SQS only.
        statements.append(
            {
                "Sid": "UseAwsOwnedQueueKeyViaSqs",
                "Effect": "Allow",
                "Action": sorted(kms),
                "NotResource": f"{ARN}:kms:*:${{Account}}:key/*",
                "Condition": {"StringLike": {"kms:ViaService": ["sqs.${Region}.amazonaws.com"]}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def _task_definition_arn(task_def: str) -> str:
    if task_def.startswith("arn:"):
        return task_def
    family, _, revision = task_def.partition(":")
    return _arn("ecs", f"task-definition/{family}:{revision or '*'}")  # no revision: Airflow runs the latest


def _cluster(cluster: str) -> tuple[str, str]:
    if cluster.startswith("arn:"):
        return cluster, cluster.rsplit("/", 1)[-1]
    return _arn("ecs", f"cluster/{cluster}"), cluster


def _bucket(url: str) -> str:
    return url.removeprefix("s3://").split("/", 1)[0]


def task_policy(
    plans: Mapping[str, OperatorPlan], stack: MwaaStack, *, alerts: bool, secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """What one DAG's tasks call, from its operator plans; `secrets`: Secrets Manager names it reads."""
    kw = {tid: dict(p.kwargs) for tid, p in plans.items()}
    by_cls: dict[str, list[dict[str, Any]]] = {}
    for tid in sorted(plans):
        by_cls.setdefault(plans[tid].base or plans[tid].cls, []).append(kw[tid])
    out: list[dict[str, Any]] = []
    if alerts:
        out.append(_statement("PublishAlerts", ["sns:Publish"], [ALERT_TOPIC]))
    names = sorted(set(secrets))
    if names:
        out.append(_statement("ReadAirflowSecrets", ["secretsmanager:GetSecretValue"], map(secret_arn, names)))
    glue = by_cls.get("GlueJobOperator", [])
    if glue:
        run = ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun", "glue:GetJob"]
        out.append(_statement("RunGlueJobs", run, [_arn("glue", f"job/{k['job_name']}") for k in glue]))
        created = [k for k in glue if "iam_role_arn" in k]
        if created:
            jobs = [_arn("glue", f"job/{k['job_name']}") for k in created]
            out.append(_statement("CreateAndUpdateGlueJobs", ["glue:CreateJob", "glue:UpdateJob"], jobs))
            roles = [k["iam_role_arn"] for k in created]
            passed = {"iam:PassedToService": "glue.amazonaws.com"}
            out.append(_statement("PassGlueJobRole", ["iam:PassRole"], roles, StringEquals=passed))
    ecs = by_cls.get("EcsRunTaskOperator", [])
    if ecs:
        clusters = sorted({_cluster(k["cluster"]) for k in ecs})
        definitions = [_task_definition_arn(k["task_definition"]) for k in ecs]
        condition = {"ecs:cluster": [arn for arn, _ in clusters]}
        out.append(_statement("RunEcsTasks", ["ecs:RunTask"], definitions, ArnEquals=condition))
        # Task ids exist only once started: the cluster's tasks.
        watch = [_arn("ecs", f"task/{name}/*") for _, name in clusters]
        out.append(_statement("WatchAndStopEcsTasks", ["ecs:DescribeTasks", "ecs:StopTask"], watch))
        if stack.ecs_pass_roles:
            passed = {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
            out.append(_statement("PassEcsTaskRoles", ["iam:PassRole"], stack.ecs_pass_roles, StringEquals=passed))
    out += _athena(by_cls.get("AthenaOperator", []), stack)
    out += _redshift(by_cls.get("RedshiftDataOperator", []))
    return {"Version": "2012-10-17", "Statement": out}


def _athena(calls: list[dict[str, Any]], stack: MwaaStack) -> list[dict[str, Any]]:
    if not calls:
        return []
    query = [
        "athena:StartQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:StopQueryExecution",
        "athena:GetWorkGroup",
    ]
    out = [_statement("RunAthenaQueries", query, [_arn("athena", f"workgroup/{k['workgroup']}") for k in calls])]
    catalog = [_arn("glue", "catalog")]
    for db in sorted({k["database"] for k in calls}):
        catalog += [_arn("glue", f"database/{db}"), _arn("glue", f"table/{db}/*")]
    tables = ["GetDatabase", "GetDatabases", "GetTable", "GetTables", "GetPartition", "GetPartitions"]
    tables += ["BatchGetPartition", "CreateTable", "UpdateTable", "DeleteTable", "CreatePartition"]
    tables += ["BatchCreatePartition", "UpdatePartition", "DeletePartition", "BatchDeletePartition"]
    out.append(_statement("ReadWriteAthenaCatalog", [f"glue:{a}" for a in tables], catalog))
    buckets = sorted({_bucket(k["output_location"]) for k in calls if k.get("output_location")})
    buckets = sorted({*buckets, *stack.athena_data_buckets})
    if buckets:
        data = ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:GetObject"]
        data += ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
        arns = [f"{ARN}:s3:::{b}" for b in buckets] + [f"{ARN}:s3:::{b}/*" for b in buckets]
        out.append(_statement("AthenaResultsAndData", data, arns))
    return out


def _redshift(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not calls:
        return []
    run = ["redshift-data:ExecuteStatement", "redshift-data:BatchExecuteStatement"]
    out: list[dict[str, Any]] = []
    clusters = sorted({k["cluster_identifier"] for k in calls if k.get("cluster_identifier")})
    if clusters:
        out.append(_statement("RunRedshiftStatements", run, [_arn("redshift", f"cluster:{c}") for c in clusters]))
        users = sorted({(k["cluster_identifier"], k["db_user"], k["database"]) for k in calls if k.get("db_user")})
        iam = sorted({(k["cluster_identifier"], k["database"]) for k in calls if not k.get("db_user")})
        if users:
            arns = [_arn("redshift", f"dbuser:{c}/{u}") for c, u, _ in users]
            arns += [_arn("redshift", f"dbname:{c}/{d}") for c, _, d in users]
            out.append(_statement("RedshiftDatabaseUserCredentials", ["redshift:GetClusterCredentials"], arns))
        if iam:
            arns = [_arn("redshift", f"dbname:{c}/{d}") for c, d in iam]
            out.append(_statement("RedshiftIamCredentials", ["redshift:GetClusterCredentialsWithIAM"], arns))
    if any(k.get("workgroup_name") for k in calls):
        # Serverless workgroup ARNs end in the workgroup's generated id, which a name does not give.
        arn = [_arn("redshift-serverless", "workgroup/*")]
        out.append(
            _statement("RunServerlessStatementsWorkgroupIdUnknown", [*run, "redshift-serverless:GetCredentials"], arn)
        )
    # Statement ids are only known once submitted, and these calls take no resource.
    status = ["redshift-data:DescribeStatement", "redshift-data:GetStatementResult", "redshift-data:CancelStatement"]
    out.append(_statement("StatementStatusHasNoResourceLevelPermissions", status, "*"))
    return out


# Actions that may appear with a "*" resource (or a `*` inside an ARN), and why.
WILDCARDS: dict[str, str] = {
    "logs:DescribeLogGroups": "no resource-level permissions",
    "s3:GetAccountPublicAccessBlock": "an account-level call",
    "cloudwatch:PutMetricData": "no resource-level permissions",
    "redshift-data:DescribeStatement": "no resource-level permissions",
    "redshift-data:GetStatementResult": "no resource-level permissions",
    "redshift-data:CancelStatement": "no resource-level permissions",
}
