"""Goal-number masking and the encoder's view of a passage, without the model's imports.

The search indexer needs :func:`encoder_input` for every item it embeds; importing
``ssehub.sdg.model`` would load scikit-learn and SciPy into every process that indexes, so these
few regular expressions live here and ``ssehub.sdg.model.text`` re-exports them.
"""

from __future__ import annotations

import re

# "SDG 5", "SDGs 1, 2 and 5", "Goal 5.2", "ODD n°5", "ODS 5", "Objective 5", "objetivo 5",
# "Objectif 5", "Sustainable Development Goal 5", "SDG5", "SDG-5", "Global Goal 5", "target 6.1".
_KEYWORD = (
    r"(?:sdgs?|goals?|odds?|ods|objectives?|objectifs?|objetivos?|targets?|cibles?|metas?)"
)
_NUMBER = r"(?:n[°ºo]\.?\s*)?#?\d{1,2}(?:\.[0-9a-z]{1,2}){0,2}\b"
_JOIN = r"(?:\s*(?:,|/|&|-|–|and|or|et|ou|y|e|o)\s*)"
MENTION_RE = re.compile(
    rf"\b({_KEYWORD})[\s\-]*{_NUMBER}(?:{_JOIN}{_NUMBER})*",
    re.IGNORECASE,
)
# A bare target/indicator code such as "6.1" or "11.7.1" pins a goal just as well.
CODE_RE = re.compile(r"(?<![\d.,])\b(?:1[0-7]|[1-9])\.(?:[1-9]|1[0-9]|[a-d])(?:\.\d)?\b(?![\d,])")


def mask_goal_mentions(text: str) -> str:
    """Replace explicit goal/target numbers by the bare keyword ("SDG 5" -> "SDG").

    Why: the label must be learnt from the topic, never from a number printed in the text.
    """
    text = MENTION_RE.sub(lambda m: m.group(1), text)
    return CODE_RE.sub(" ", text)


ENCODER_CHARS = 5000


def encoder_input(text: str) -> str:
    """What the sentence encoder reads of a passage: goal numbers masked, at most 5,000
    characters, never empty. The mapper and the search indexer both embed through it, so the
    same passage gives the same text, hence the same (shareable) vector."""
    return mask_goal_mentions(text)[:ENCODER_CHARS] or " "
