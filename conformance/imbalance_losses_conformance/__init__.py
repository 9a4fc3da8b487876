"""The conformance suite: cases, float64 oracles, the runner and the report."""

# The environment variable naming the implementation under test when it is not the
# installed imbalance_losses (a vendored copy: ``imbalance-losses conformance --package``).
PACKAGE_VARIABLE = "IMBALANCE_LOSSES_CONFORMANCE_PACKAGE"
# The loss families, one module of cases and one of oracles each (named as the core's
# modules), in report order. A new family is one name here.
FAMILY_NAMES = ("sigmoid", "softmax", "truncated", "ghm", "dice", "logit_adjust", "multilabel", "poly", "asymmetric",
                "seesaw", "eqlv2", "equalization", "distribution_balanced", "tversky", "mcc", "lovasz", "compound",
                "detection", "auc", "regression")
