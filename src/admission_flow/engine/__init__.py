"""The runtime of one workflow version: the compiled machine, the catalog of compiled versions, and the pure
decisions an event makes (its guards' view, its effects). No I/O here: the services load and write.

Nothing is imported eagerly: ``import admission_flow.engine.machine`` loads transitions only when asked for.
"""
