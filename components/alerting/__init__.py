"""Alerting infrastructure per cloud, shared by the target components: `aws`, `gcp`, `databricks`.

Nothing is imported here, so the pure formatter package (`formatter/`, shipped in a Lambda) can be
imported without Pulumi.
"""
