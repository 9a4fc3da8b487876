"""The conformance suite: cases, float64 oracles, the runner and the report."""

# The loss families, one module of cases and one of oracles each (named as the core's
# modules), in report order. A new family is one name here.
FAMILY_NAMES = ("sigmoid", "softmax", "truncated", "ghm", "dice", "logit_adjust", "multilabel", "poly", "asymmetric",
                "seesaw", "eqlv2", "distribution_balanced", "tversky", "lovasz", "compound", "regression")
