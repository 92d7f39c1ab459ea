"""Jobs API job settings (snake_case, as the compiler writes them) -> pulumi_databricks typed args.

One function per settings object, field by field, so mypy checks every argument name against
the provider SDK. The provider's names differ from the API's in places: lists of blocks are
plural (`depends_ons`, `on_failures`, `rules` …) and git_source drops its `git_` prefix.
Placeholder values (`${destination:…}`, `${job:…}`) go through `resolve`, which returns the
deployed id; everything else is copied as is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi
import pulumi_databricks as dbx

Resolve = Callable[[str], pulumi.Input[Any]]
D = Mapping[str, Any]


def _opt(d: D, key: str, fn: Callable[[D], Any]) -> Any:
    return fn(d[key]) if key in d else None


def _email(d: D) -> dbx.JobEmailNotificationsArgs:
    return dbx.JobEmailNotificationsArgs(
        on_starts=d.get("on_start"),
        on_successes=d.get("on_success"),
        on_failures=d.get("on_failure"),
        on_duration_warning_threshold_exceededs=d.get("on_duration_warning_threshold_exceeded"),
    )


def _task_email(d: D) -> dbx.JobTaskEmailNotificationsArgs:
    return dbx.JobTaskEmailNotificationsArgs(
        on_starts=d.get("on_start"),
        on_successes=d.get("on_success"),
        on_failures=d.get("on_failure"),
        on_duration_warning_threshold_exceededs=d.get("on_duration_warning_threshold_exceeded"),
    )


def _ids(d: D, key: str, resolve: Resolve) -> list[pulumi.Input[str]] | None:
    return [resolve(item["id"]) for item in d[key]] if key in d else None


def _webhook(d: D, resolve: Resolve) -> dbx.JobWebhookNotificationsArgs:
    return dbx.JobWebhookNotificationsArgs(
        on_starts=[dbx.JobWebhookNotificationsOnStartArgs(id=i) for i in _ids(d, "on_start", resolve) or []] or None,
        on_successes=[dbx.JobWebhookNotificationsOnSuccessArgs(id=i) for i in _ids(d, "on_success", resolve) or []]
        or None,
        on_failures=[dbx.JobWebhookNotificationsOnFailureArgs(id=i) for i in _ids(d, "on_failure", resolve) or []]
        or None,
        on_duration_warning_threshold_exceededs=[
            dbx.JobWebhookNotificationsOnDurationWarningThresholdExceededArgs(id=i)
            for i in _ids(d, "on_duration_warning_threshold_exceeded", resolve) or []
        ]
        or None,
    )


def _task_webhook(d: D, resolve: Resolve) -> dbx.JobTaskWebhookNotificationsArgs:
    return dbx.JobTaskWebhookNotificationsArgs(
        on_starts=[dbx.JobTaskWebhookNotificationsOnStartArgs(id=i) for i in _ids(d, "on_start", resolve) or []]
        or None,
        on_successes=[dbx.JobTaskWebhookNotificationsOnSuccessArgs(id=i) for i in _ids(d, "on_success", resolve) or []]
        or None,
        on_failures=[dbx.JobTaskWebhookNotificationsOnFailureArgs(id=i) for i in _ids(d, "on_failure", resolve) or []]
        or None,
        on_duration_warning_threshold_exceededs=[
            dbx.JobTaskWebhookNotificationsOnDurationWarningThresholdExceededArgs(id=i)
            for i in _ids(d, "on_duration_warning_threshold_exceeded", resolve) or []
        ]
        or None,
    )


def _health(d: D) -> dbx.JobHealthArgs:
    rules = [dbx.JobHealthRuleArgs(metric=r["metric"], op=r["op"], value=r["value"]) for r in d["rules"]]
    return dbx.JobHealthArgs(rules=rules)


def _task_health(d: D) -> dbx.JobTaskHealthArgs:
    rules = [dbx.JobTaskHealthRuleArgs(metric=r["metric"], op=r["op"], value=r["value"]) for r in d["rules"]]
    return dbx.JobTaskHealthArgs(rules=rules)


def _new_cluster(d: D) -> dbx.JobJobClusterNewClusterArgs:
    return dbx.JobJobClusterNewClusterArgs(
        spark_version=d.get("spark_version"),
        node_type_id=d.get("node_type_id"),
        num_workers=d.get("num_workers"),
        autoscale=_opt(
            d,
            "autoscale",
            lambda a: dbx.JobJobClusterNewClusterAutoscaleArgs(
                min_workers=a.get("min_workers"), max_workers=a.get("max_workers")
            ),
        ),
        policy_id=d.get("policy_id"),
        apply_policy_default_values=d.get("apply_policy_default_values"),
        spark_conf=d.get("spark_conf"),
        data_security_mode=d.get("data_security_mode"),
    )


def _library(d: D) -> dbx.JobTaskLibraryArgs:
    return dbx.JobTaskLibraryArgs(
        pypi=_opt(d, "pypi", lambda p: dbx.JobTaskLibraryPypiArgs(package=p["package"], repo=p.get("repo"))),
        whl=d.get("whl"),
        jar=d.get("jar"),
    )


def _sql_task(d: D) -> dbx.JobTaskSqlTaskArgs:
    return dbx.JobTaskSqlTaskArgs(
        warehouse_id=d["warehouse_id"],
        file=_opt(d, "file", lambda f: dbx.JobTaskSqlTaskFileArgs(path=f["path"], source=f.get("source"))),
        parameters=d.get("parameters"),
    )


def _kind(d: D, resolve: Resolve) -> dict[str, Any]:
    """The task-type block (exactly one per task)."""
    if "spark_python_task" in d:
        t = d["spark_python_task"]
        return {
            "spark_python_task": dbx.JobTaskSparkPythonTaskArgs(
                python_file=t["python_file"], parameters=t.get("parameters"), source=t.get("source")
            )
        }
    if "python_wheel_task" in d:
        t = d["python_wheel_task"]
        return {
            "python_wheel_task": dbx.JobTaskPythonWheelTaskArgs(
                package_name=t["package_name"], entry_point=t["entry_point"], parameters=t.get("parameters")
            )
        }
    if "notebook_task" in d:
        t = d["notebook_task"]
        return {
            "notebook_task": dbx.JobTaskNotebookTaskArgs(
                notebook_path=t["notebook_path"], base_parameters=t.get("base_parameters"), source=t.get("source")
            )
        }
    if "spark_jar_task" in d:
        t = d["spark_jar_task"]
        jar = dbx.JobTaskSparkJarTaskArgs(main_class_name=t.get("main_class_name"), parameters=t.get("parameters"))
        return {"spark_jar_task": jar}
    if "sql_task" in d:
        return {"sql_task": _sql_task(d["sql_task"])}
    if "dbt_task" in d:
        t = d["dbt_task"]
        return {
            "dbt_task": dbx.JobTaskDbtTaskArgs(
                commands=t["commands"],
                project_directory=t.get("project_directory"),
                profiles_directory=t.get("profiles_directory"),
                warehouse_id=t.get("warehouse_id"),
                source=t.get("source"),
            )
        }
    if "run_job_task" in d:
        return {"run_job_task": dbx.JobTaskRunJobTaskArgs(job_id=resolve(d["run_job_task"]["job_id"]))}
    raise ValueError(f"task {d.get('task_key')!r} has no task type the component knows")


def _task(d: D, resolve: Resolve) -> dbx.JobTaskArgs:
    kind = _kind(d, resolve)
    return dbx.JobTaskArgs(
        task_key=d["task_key"],
        description=d.get("description"),
        depends_ons=[dbx.JobTaskDependsOnArgs(task_key=x["task_key"]) for x in d.get("depends_on", [])] or None,
        run_if=d.get("run_if"),
        max_retries=d.get("max_retries"),
        min_retry_interval_millis=d.get("min_retry_interval_millis"),
        retry_on_timeout=d.get("retry_on_timeout"),
        timeout_seconds=d.get("timeout_seconds"),
        health=_opt(d, "health", _task_health),
        email_notifications=_opt(d, "email_notifications", _task_email),
        webhook_notifications=_opt(d, "webhook_notifications", lambda w: _task_webhook(w, resolve)),
        notification_settings=_opt(
            d,
            "notification_settings",
            lambda n: dbx.JobTaskNotificationSettingsArgs(alert_on_last_attempt=n.get("alert_on_last_attempt")),
        ),
        environment_key=d.get("environment_key"),
        job_cluster_key=d.get("job_cluster_key"),
        existing_cluster_id=d.get("existing_cluster_id"),
        libraries=[_library(lib) for lib in d.get("libraries", [])] or None,
        spark_python_task=kind.get("spark_python_task"),
        python_wheel_task=kind.get("python_wheel_task"),
        notebook_task=kind.get("notebook_task"),
        spark_jar_task=kind.get("spark_jar_task"),
        sql_task=kind.get("sql_task"),
        dbt_task=kind.get("dbt_task"),
        run_job_task=kind.get("run_job_task"),
    )


def _trigger(d: D) -> dbx.JobTriggerArgs:
    return dbx.JobTriggerArgs(
        pause_status=d.get("pause_status"),
        file_arrival=_opt(
            d,
            "file_arrival",
            lambda f: dbx.JobTriggerFileArrivalArgs(
                url=f["url"],
                min_time_between_triggers_seconds=f.get("min_time_between_triggers_seconds"),
                wait_after_last_change_seconds=f.get("wait_after_last_change_seconds"),
            ),
        ),
        table_update=_opt(
            d,
            "table_update",
            lambda t: dbx.JobTriggerTableUpdateArgs(table_names=t["table_names"], condition=t.get("condition")),
        ),
    )


def _environment(d: D) -> dbx.JobEnvironmentArgs:
    spec = d["spec"]
    return dbx.JobEnvironmentArgs(
        environment_key=d["environment_key"],
        spec=dbx.JobEnvironmentSpecArgs(
            environment_version=spec.get("environment_version"),
            dependencies=spec.get("dependencies"),
            java_dependencies=spec.get("java_dependencies"),
        ),
    )


def job_args(settings: D, resolve: Resolve) -> dbx.JobArgs:
    """The provider's arguments for a compiled job; `resolve` turns placeholders into deployed ids."""
    s = settings
    return dbx.JobArgs(
        name=s["name"],
        description=s.get("description"),
        tags=s.get("tags"),
        max_concurrent_runs=s.get("max_concurrent_runs"),
        queue=_opt(s, "queue", lambda q: dbx.JobQueueArgs(enabled=q["enabled"])),
        timeout_seconds=s.get("timeout_seconds"),
        health=_opt(s, "health", _health),
        email_notifications=_opt(s, "email_notifications", _email),
        webhook_notifications=_opt(s, "webhook_notifications", lambda w: _webhook(w, resolve)),
        schedule=_opt(
            s,
            "schedule",
            lambda c: dbx.JobScheduleArgs(
                quartz_cron_expression=c["quartz_cron_expression"],
                timezone_id=c["timezone_id"],
                pause_status=c.get("pause_status"),
            ),
        ),
        trigger=_opt(s, "trigger", _trigger),
        job_clusters=[
            dbx.JobJobClusterArgs(job_cluster_key=c["job_cluster_key"], new_cluster=_new_cluster(c["new_cluster"]))
            for c in s.get("job_clusters", [])
        ]
        or None,
        environments=[_environment(e) for e in s.get("environments", [])] or None,
        parameters=[dbx.JobParameterArgs(name=p["name"], default=p["default"]) for p in s.get("parameters", [])]
        or None,
        git_source=_opt(
            s,
            "git_source",
            lambda g: dbx.JobGitSourceArgs(
                url=g["git_url"],
                provider=g.get("git_provider"),
                branch=g.get("git_branch"),
                tag=g.get("git_tag"),
                commit=g.get("git_commit"),
            ),
        ),
        run_as=_opt(
            s,
            "run_as",
            lambda r: dbx.JobRunAsArgs(
                user_name=r.get("user_name"), service_principal_name=r.get("service_principal_name")
            ),
        ),
        tasks=[_task(t, resolve) for t in s.get("tasks", [])],
    )


# Compiler fields this module maps, by settings object; tests compare them with what compile emits.
MAPPED_JOB_FIELDS = frozenset(
    {
        "name", "description", "tags", "max_concurrent_runs", "queue", "timeout_seconds", "health",
        "email_notifications", "webhook_notifications", "schedule", "trigger", "job_clusters",
        "environments", "parameters", "git_source", "run_as", "tasks",
    }
)  # fmt: skip
