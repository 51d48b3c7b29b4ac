"""Use cases, one module per family: functions over ``Deps`` (the ports and settings they run with).

``orgs`` and ``candidates`` register; ``events`` fires, lists options and history; ``sweep`` turns due timers
into messages and automatic events; ``delivery`` sends the outbox; ``listings`` reads deadlines, reminders and
the outbox; ``migration`` moves running candidates between workflow versions; ``simulation`` dry-runs a path.
The facade (``flow.py``) calls them; adapters call the facade.
"""
