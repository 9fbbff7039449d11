"""Quality stage core: named filter/tagger operators driven by a YAML recipe (no Dagster here)."""

from . import boilerplate
from .db import day_counts, outcomes_table, reject_rate, write_quality_day
from .pii import CARD_CANDIDATE_RE, EMAIL_RE, has_email_or_card
from .recipe import DEFAULT_RECIPE, Recipe, RecipeError, load_recipe, recipe_from_dict
from .registry import REGISTRY, Operator, Params, register
from .types import QualityDoc, QualityOutcome

__all__ = [
    "boilerplate",
    "day_counts",
    "CARD_CANDIDATE_RE",
    "DEFAULT_RECIPE",
    "EMAIL_RE",
    "REGISTRY",
    "Operator",
    "Params",
    "QualityDoc",
    "QualityOutcome",
    "Recipe",
    "RecipeError",
    "has_email_or_card",
    "load_recipe",
    "outcomes_table",
    "recipe_from_dict",
    "register",
    "reject_rate",
    "write_quality_day",
]
