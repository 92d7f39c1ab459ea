"""`pipespec:dbtcloud:Jobs`: one compiled pipeline -> dbt Cloud jobs, their triggers and notifications.

Thin by design: the compiler (`pipespec.targets.dbtcloud.compile`) decided the jobs, their
steps and how they chain; this component creates, in order:

- `dbtcloud.Project` and `dbtcloud.Environment` when the stack gives no existing ids;
- one `dbtcloud.Job` per compiled job (`${project_id}` / `${environment_id}` filled in);
- one `dbtcloud.JobCompletionTrigger` per job that starts on another job's completion
  (`${job:<key>}` -> that job's id);
- one `dbtcloud.Notification` per email address / Slack channel.

Provider config (not pipespec's): `dbtcloud:accountId`, `dbtcloud:token` (secret), `dbtcloud:hostUrl`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_dbtcloud as dbtcloud

from pipespec.targets.dbtcloud.compile import CompiledDbtCloud

TYPE_TOKEN = "pipespec:dbtcloud:Jobs"


class DbtCloudDeployError(ValueError):
    """The compiled pipeline cannot deploy as is (a stack setting is missing)."""


@dataclass
class DbtCloudJobsArgs:
    compiled: CompiledDbtCloud


def _id(value: Any) -> Any:
    # dbt Cloud ids are integers; the mock engine's ids are not, and pass through unchanged.
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _job_key(ref: str) -> str:
    if not (ref.startswith("${job:") and ref.endswith("}")):
        raise DbtCloudDeployError(f"expected a ${{job:<key>}} placeholder, got {ref!r}")
    return ref[len("${job:") : -1]


class DbtCloudJobs(pulumi.ComponentResource):
    job_ids: dict[str, pulumi.Output[Any]]  # by job key
    project_id: pulumi.Output[Any]
    environment_id: pulumi.Output[Any]

    def __init__(self, name: str, args: DbtCloudJobsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        compiled = args.compiled
        if compiled.missing_stack:  # before any resource exists
            raise DbtCloudDeployError(
                f"dbt Cloud pipeline {compiled.pipeline!r} needs stack settings: "
                + ", ".join(f"pipespec:dbtcloud.{k}" for k in compiled.missing_stack)
            )
        super().__init__(TYPE_TOKEN, name, None, opts)
        doc = compiled.document
        child = pulumi.ResourceOptions(parent=self)
        kept = pulumi.ResourceOptions(parent=self, protect=compiled.protect)

        needs: list[pulumi.Resource] = []  # created project / environment: jobs wait for them
        project = doc["project"]
        if "create" in project:
            new = project["create"]
            created = dbtcloud.Project(
                f"{name}-project",
                name=new["name"],
                dbt_project_subdirectory=new.get("dbt_project_subdirectory"),
                opts=kept,
            )
            self.project_id = created.id.apply(_id)
            needs.append(created)
        else:
            self.project_id = pulumi.Output.from_input(project["id"])
        environment = doc["environment"]
        if "create" in environment:
            new = environment["create"]
            env = dbtcloud.Environment(
                f"{name}-environment",
                project_id=self.project_id,
                name=new["name"],
                type=new["type"],
                dbt_version=new["dbt_version"],
                deployment_type=new.get("deployment_type"),
                connection_id=new.get("connection_id"),
                credential_id=new.get("credential_id"),
                opts=kept,
            )
            self.environment_id = env.environment_id
            needs.append(env)
        else:
            self.environment_id = pulumi.Output.from_input(environment["id"])

        jobs: dict[str, dbtcloud.Job] = {}
        for spec in compiled.jobs:  # upstream first
            key = spec["key"]
            jobs[key] = dbtcloud.Job(
                f"{name}-{key}",
                name=spec["name"],
                description=spec["description"],
                project_id=self.project_id,
                environment_id=self.environment_id,
                execute_steps=spec["execute_steps"],
                target_name=spec["target_name"],
                num_threads=spec["num_threads"],
                generate_docs=spec["generate_docs"],
                dbt_version=spec.get("dbt_version"),
                deferring_environment_id=spec.get("deferring_environment_id"),
                execution=dbtcloud.JobExecutionArgs(timeout_seconds=spec["execution"]["timeout_seconds"]),
                triggers=dbtcloud.JobTriggersArgs(
                    schedule=spec["triggers"]["schedule"],
                    github_webhook=spec["triggers"]["github_webhook"],
                    git_provider_webhook=spec["triggers"]["git_provider_webhook"],
                    on_merge=spec["triggers"]["on_merge"],
                ),
                schedule_type=spec.get("schedule_type"),
                schedule_cron=spec.get("schedule_cron"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=needs),
            )
        self.job_ids = {key: job.id.apply(_id) for key, job in jobs.items()}
        for spec in compiled.jobs:
            trigger = spec.get("completion_trigger")
            if trigger is None:
                continue
            upstream = _job_key(trigger["job"])
            dbtcloud.JobCompletionTrigger(
                f"{name}-{spec['key']}-after-{upstream}",
                job_id=self.job_ids[spec["key"]],
                trigger_job_id=self.job_ids[upstream],
                project_id=self.project_id,
                statuses=trigger["statuses"],
                opts=child,
            )
        for note in doc["notifications"]:
            dbtcloud.Notification(
                f"{name}-notify-{note['key']}",
                user_id=note["user_id"],
                notification_type=note["notification_type"],
                external_email=note.get("external_email"),
                slack_channel_id=note.get("slack_channel_id"),
                slack_channel_name=note.get("slack_channel_name"),
                on_failures=[self.job_ids[_job_key(r)] for r in note["on_failures"]],
                on_successes=[self.job_ids[_job_key(r)] for r in note["on_successes"]],
                opts=child,
            )
        self.register_outputs(
            {"job_ids": self.job_ids, "project_id": self.project_id, "environment_id": self.environment_id}
        )
