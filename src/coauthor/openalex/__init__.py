"""OpenAlex API access: queries built with pyalex, our own transport, harvest and counts."""

from coauthor.openalex.client import OpenAlexClient, RateLimiter
from coauthor.openalex.harvest import HarvestPlan, HarvestResult, harvest_works, plan_harvest

__all__ = [
    "HarvestPlan",
    "HarvestResult",
    "OpenAlexClient",
    "RateLimiter",
    "harvest_works",
    "plan_harvest",
]
