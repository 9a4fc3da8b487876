"""The core: every loss written once against the Python array API.

Nothing here imports a framework: the namespace and the adapter of a call are
found from its arrays (``dispatch``). One module per loss family, each holding
a family's forward computations and their closed-form gradients side by side.
"""
