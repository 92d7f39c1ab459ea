"""The state machines' IAM policy, scoped to exactly what the compiled definitions call.

ARNs are templates with `${Partition}`, `${Region}`, `${Account}` (and the other
placeholders of the definition) that the component fills in. A `"Resource": "*"` appears
only where the action has no resource-level permissions (`WILDCARD_ONLY`), each in its own
statement whose Sid says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .integrations import Needs

ARN = "arn:${Partition}"
REGIONAL = "${Region}:${Account}"

# Actions AWS only authorizes on "*" (no resource-level permissions), with the reason.
WILDCARD_ONLY: dict[str, str] = {
    "logs:CreateLogDelivery": "CloudWatch Logs vended-log delivery APIs have no resource-level permissions",
    "logs:GetLogDelivery": "idem",
    "logs:UpdateLogDelivery": "idem",
    "logs:DeleteLogDelivery": "idem",
    "logs:ListLogDeliveries": "idem",
    "logs:PutResourcePolicy": "idem",
    "logs:DescribeResourcePolicies": "idem",
    "logs:DescribeLogGroups": "idem",
    "xray:PutTraceSegments": "X-Ray has no resource-level permissions",
    "xray:PutTelemetryRecords": "idem",
    "xray:GetSamplingRules": "idem",
    "xray:GetSamplingTargets": "idem",
}

# Managed EventBridge rules the `.sync` integrations create to learn when a job ends.
SYNC_RULES = {
    "ecs": "StepFunctionsGetEventsForECSTaskRule",
    "execution": "StepFunctionsGetEventsForStepFunctionsExecutionRule",
    "emr_serverless": "StepFunctionsGetEventsForEMRServerlessJobRule",
}


def state_machine_arn(name: str) -> str:
    return "${StateMachineArn:" + name + "}"


def _arn(service: str, resource: str, *, regional: bool = True) -> str:
    return f"{ARN}:{service}:{REGIONAL}:{resource}" if regional else f"{ARN}:{service}::{resource}"


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


def _sid(text: str) -> str:
    return "".join(ch for ch in text.title() if ch.isalnum())[:100]


def _function_arns(name: str) -> list[str]:
    base = name if name.startswith("arn:") else _arn("lambda", f"function:{name}")
    return [base, f"{base}:*"]  # the function and its versions/aliases


def _task_definition_arn(task_def: str) -> str:
    if task_def.startswith("arn:"):
        return task_def
    family, _, revision = task_def.partition(":")
    return _arn("ecs", f"task-definition/{family}:{revision or '*'}")


def _cluster(cluster: str) -> tuple[str, str]:
    """(cluster ARN, cluster name)."""
    if cluster.startswith("arn:"):
        return cluster, cluster.rsplit("/", 1)[-1]
    return _arn("ecs", f"cluster/{cluster}"), cluster


def policy(
    needs: Needs,
    main: str,
    nested: Iterable[str],
    *,
    alerts: bool,
    tracing: bool,
    integrations: set[str],
) -> dict[str, Any]:
    """The policy document (template) for the role every state machine of the pipeline assumes."""
    nested = sorted(nested)
    machines = sorted([main, *nested])
    out: list[dict[str, Any]] = [
        _statement(
            "LogDeliveryHasNoResourceLevelPermissions",
            [a for a in WILDCARD_ONLY if a.startswith("logs:")],
            "*",
        )
    ]
    if tracing:
        out.append(
            _statement("XRayHasNoResourceLevelPermissions", [a for a in WILDCARD_ONLY if a.startswith("xray:")], "*")
        )
    if alerts:
        out.append(_statement("PublishAlerts", ["sns:Publish"], ["${AlertTopicArn}"]))
    if needs.glue_jobs:
        out.append(
            _statement(
                "RunGlueJobs",
                ["glue:StartJobRun", "glue:GetJobRun", "glue:GetJobRuns", "glue:BatchStopJobRun"],
                [_arn("glue", f"job/{name}") for name in needs.glue_jobs],
            )
        )
    if needs.lambda_functions:
        arns = [arn for fn in needs.lambda_functions for arn in _function_arns(fn)]
        out.append(_statement("InvokeFunctions", ["lambda:InvokeFunction"], arns))
    if needs.ecs_task_definitions:
        clusters = [_cluster(c) for c in sorted(needs.ecs_clusters)]
        out.append(
            _statement(
                "RunEcsTasks",
                ["ecs:RunTask"],
                [_task_definition_arn(t) for t in needs.ecs_task_definitions],
                ArnEquals={"ecs:cluster": sorted(arn for arn, _ in clusters)},
            )
        )
        # Task ids are only known once started: scoped to the cluster's tasks.
        out.append(
            _statement(
                "WatchAndStopEcsTasks",
                ["ecs:StopTask", "ecs:DescribeTasks"],
                [_arn("ecs", f"task/{name}/*") for _, name in clusters],
            )
        )
        if needs.ecs_pass_roles:
            out.append(
                _statement(
                    "PassEcsTaskRoles",
                    ["iam:PassRole"],
                    needs.ecs_pass_roles,
                    StringEquals={"iam:PassedToService": "ecs-tasks.amazonaws.com"},
                )
            )
    if needs.athena_workgroups:
        out.append(
            _statement(
                "RunAthenaQueries",
                [
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                    "athena:GetWorkGroup",
                ],
                [_arn("athena", f"workgroup/{wg}") for wg in needs.athena_workgroups],
            )
        )
        catalog = [_arn("glue", "catalog")]
        for db in sorted(needs.athena_databases):
            catalog += [_arn("glue", f"database/{db}"), _arn("glue", f"table/{db}/*")]
        out.append(
            _statement(
                "ReadWriteAthenaCatalog",
                [
                    "glue:GetDatabase",
                    "glue:GetDatabases",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchGetPartition",
                    "glue:CreateTable",
                    "glue:UpdateTable",
                    "glue:DeleteTable",
                    "glue:CreatePartition",
                    "glue:BatchCreatePartition",
                    "glue:UpdatePartition",
                    "glue:DeletePartition",
                    "glue:BatchDeletePartition",
                ],
                catalog,
            )
        )
        if needs.s3_buckets:
            buckets = sorted(needs.s3_buckets)
            out.append(
                _statement(
                    "AthenaData",
                    [
                        "s3:GetBucketLocation",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:AbortMultipartUpload",
                        "s3:ListMultipartUploadParts",
                    ],
                    [f"{ARN}:s3:::{b}" for b in buckets] + [f"{ARN}:s3:::{b}/*" for b in buckets],
                )
            )
    if needs.emr_applications:
        apps = sorted(needs.emr_applications)
        out.append(
            _statement(
                "StartSparkJobs",
                ["emr-serverless:StartJobRun"],
                [_arn("emr-serverless", f"/applications/{a}") for a in apps],
            )
        )
        out.append(
            _statement(
                "WatchAndCancelSparkJobs",
                ["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"],
                [_arn("emr-serverless", f"/applications/{a}/jobruns/*") for a in apps],
            )
        )
        out.append(
            _statement(
                "PassSparkExecutionRole",
                ["iam:PassRole"],
                needs.emr_roles,
                StringEquals={"iam:PassedToService": "emr-serverless.amazonaws.com"},
            )
        )
    for task, method, endpoint in sorted(needs.http):
        out.append(
            _statement(
                _sid(f"call http {task}"),
                ["states:InvokeHTTPEndpoint"],
                [state_machine_arn(m) for m in machines],
                StringEquals={"states:HTTPMethod": method},
                StringLike={"states:HTTPEndpoint": endpoint},
            )
        )
    for task in sorted({t for t, _, _ in needs.http}):
        out.append(
            _statement(
                _sid(f"use connection {task}"),
                ["events:RetrieveConnectionCredentials"],
                ["${ConnectionArn:" + task + "}"],
            )
        )
        out.append(
            _statement(
                _sid(f"read connection secret {task}"),
                ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                ["${ConnectionSecretArn:" + task + "}"],
            )
        )
    started = sorted(set(needs.pipelines.values()) | set(nested))
    if started:
        out.append(_statement("StartStateMachines", ["states:StartExecution"], map(state_machine_arn, started)))
        out.append(
            _statement(
                "WatchAndStopStartedExecutions",
                ["states:DescribeExecution", "states:StopExecution"],
                [_arn("states", f"execution:{name}:*") for name in started],
            )
        )
    rules = sorted(
        {SYNC_RULES[i] for i in integrations if i in SYNC_RULES} | ({SYNC_RULES["execution"]} if started else set())
    )
    if rules:
        out.append(
            _statement(
                "ManagedRulesForSyncJobs",
                ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                [_arn("events", f"rule/{rule}") for rule in rules],
            )
        )
    return {"Version": "2012-10-17", "Statement": out}
