"""Signals sent by refill services, inside their transaction.

``billing`` listens to decide claims; ``refills`` must not import ``billing``, so this is
the one seam between them. A receiver that raises rolls the whole operation back.
"""

from django.dispatch import Signal

# Sent with encounter=, by=, reason=, now= whenever a signed encounter's billable facts may
# have changed: signing, an addendum, a same-day provider visit recorded after signing.
documentation_changed = Signal()
