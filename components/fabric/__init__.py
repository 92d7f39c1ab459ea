"""Microsoft Fabric: a REST client, a Pulumi dynamic provider over it, and the pipeline component."""

from .client import Credentials, FabricApiError, FabricClient
from .pipeline import FabricDataPipeline, FabricDeployError, FabricPipeline, FabricPipelineArgs
from .provider import FabricPipelineProvider

__all__ = [
    "Credentials",
    "FabricApiError",
    "FabricClient",
    "FabricDataPipeline",
    "FabricDeployError",
    "FabricPipeline",
    "FabricPipelineArgs",
    "FabricPipelineProvider",
]
