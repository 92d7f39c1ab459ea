"""The role the created Glue jobs and crawlers run as, scoped to exactly what the spec names.

- S3: each script object; each `reads` / `writes` prefix (and the crawlers' `s3_targets`, the
  stack's temp dir and Spark UI log path), listing limited to those prefixes with `s3:prefix`.
- Data Catalog: the catalog, the named databases and their tables.
- CloudWatch Logs: Glue's own log groups (`/aws-glue/jobs/*`, `/aws-glue/crawlers`).
- `"Resource": "*"` only for `cloudwatch:PutMetricData` (no resource-level permissions), limited
  to the `Glue` namespace by condition, and only when the stack enables job metrics.

ARNs are templates with `${Partition}`, `${Region}` and `${Account}`, filled in by the component.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ARN = "arn:${Partition}"
REGIONAL = "${Region}:${Account}"

CATALOG_ACTIONS = (
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:BatchGetPartition",
    "glue:CreateTable",
    "glue:UpdateTable",
    "glue:CreatePartition",
    "glue:BatchCreatePartition",
    "glue:UpdatePartition",
    "glue:BatchUpdatePartition",
)
READ_OBJECTS = ("s3:GetObject",)
WRITE_OBJECTS = ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload")
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")


@dataclass
class Access:
    """Everything the created jobs and crawlers touch (sets: sorted when rendered)."""

    scripts: set[str] = field(default_factory=set)  # s3:// object URLs
    reads: set[str] = field(default_factory=set)  # s3:// prefixes
    writes: set[str] = field(default_factory=set)
    databases: set[str] = field(default_factory=set)
    jobs: bool = False
    crawlers: bool = False
    metrics: bool = False
    any_log_group: bool = False  # a security configuration renames Glue's log groups


def split_s3(url: str) -> tuple[str, str]:
    """`s3://bucket/a/b/` -> (`bucket`, `a/b`)."""
    bucket, _, key = url.removeprefix("s3://").partition("/")
    return bucket, key.strip("/")


def _covers(outer: tuple[str, str], inner: tuple[str, str]) -> bool:
    return outer[0] == inner[0] and (not outer[1] or inner[1] == outer[1] or inner[1].startswith(outer[1] + "/"))


def minimal(prefixes: Iterable[str], covered_by: Iterable[str] = ()) -> list[str]:
    """The prefixes not already inside another one (or inside `covered_by`): the same access, fewer ARNs."""
    keep = sorted({split_s3(u) for u in prefixes})
    outer = sorted({split_s3(u) for u in covered_by})
    out = [p for p in keep if not any(_covers(o, p) for o in outer)]
    out = [p for p in out if not any(o != p and _covers(o, p) for o in out)]
    return [f"s3://{b}/{k}" if k else f"s3://{b}" for b, k in out]


def _objects(url: str) -> list[str]:
    """ARNs of the objects under a prefix (and the object itself when the URL names one)."""
    bucket, key = split_s3(url)
    if not key:
        return [f"{ARN}:s3:::{bucket}/*"]
    return [f"{ARN}:s3:::{bucket}/{key}", f"{ARN}:s3:::{bucket}/{key}/*"]


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


def _sid(*parts: str) -> str:
    return "".join(p.title() for part in parts for p in part.replace("-", " ").replace(".", " ").split())[:100]


def _listing(prefixes: Iterable[str]) -> list[dict[str, Any]]:
    """One statement per bucket: list only under the named prefixes."""
    by_bucket: dict[str, set[str]] = defaultdict(set)
    for url in prefixes:
        bucket, key = split_s3(url)
        by_bucket[bucket].update([key, f"{key}/*"] if key else ["*"])
    return [
        _statement(
            _sid("list", bucket),
            ["s3:ListBucket"],
            [f"{ARN}:s3:::{bucket}"],
            StringLike={"s3:prefix": sorted(keys)},
        )
        for bucket, keys in sorted(by_bucket.items())
    ]


def role_policy(access: Access) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    if access.scripts:
        out.append(
            _statement("ReadScripts", READ_OBJECTS, [f"{ARN}:s3:::{'/'.join(split_s3(s))}" for s in access.scripts])
        )
    writes = minimal(access.writes)
    reads = minimal(access.reads, covered_by=writes)  # written prefixes are readable already
    if reads:
        out.append(_statement("ReadData", READ_OBJECTS, [a for url in reads for a in _objects(url)]))
    if writes:
        out.append(_statement("WriteData", WRITE_OBJECTS, [a for url in writes for a in _objects(url)]))
    buckets = sorted({split_s3(u)[0] for u in access.scripts | access.reads | access.writes})
    if buckets:
        out.append(_statement("LocateBuckets", ["s3:GetBucketLocation"], [f"{ARN}:s3:::{b}" for b in buckets]))
    out += _listing(minimal(reads + writes))
    if access.databases:
        catalog = [f"{ARN}:glue:{REGIONAL}:catalog"]
        for db in sorted(access.databases):
            catalog += [f"{ARN}:glue:{REGIONAL}:database/{db}", f"{ARN}:glue:{REGIONAL}:table/{db}/*"]
        out.append(_statement("ReadWriteCatalog", CATALOG_ACTIONS, catalog))
    groups: list[str] = []
    if access.any_log_group:
        groups.append("/aws-glue/*")
    else:
        if access.jobs:
            groups.append("/aws-glue/jobs/*")
        if access.crawlers:
            groups.append("/aws-glue/crawlers")
    if groups:
        logs = [f"{ARN}:logs:{REGIONAL}:log-group:{g}" for g in groups]
        out.append(_statement("WriteGlueLogs", LOG_ACTIONS, logs + [f"{arn}:*" for arn in logs]))
    if access.metrics:
        out.append(
            _statement(
                "PutMetricDataHasNoResourceLevelPermissions",
                ["cloudwatch:PutMetricData"],
                "*",
                StringEquals={"cloudwatch:namespace": "Glue"},
            )
        )
    return {"Statement": out, "Version": "2012-10-17"}


ASSUME_ROLE_POLICY: dict[str, Any] = {
    "Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}}],
    "Version": "2012-10-17",
}
