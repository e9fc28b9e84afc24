"""The domain: one module a concept, re-exported here."""

from .actor import Actor
from .change import Change
from .claim import Claim
from .outlet import Outlet
from .relation import ClaimRelation
from .review import Review
from .source import Source
from .suggestion import SuggestionDismissal
from .tag import Tag

__all__ = ["Actor", "Change", "Claim", "ClaimRelation", "Outlet", "Review", "Source", "SuggestionDismissal", "Tag"]
