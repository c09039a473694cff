"""Signals sent by refill services, inside their transaction.

``billing`` listens to decide claims; ``refills`` must not import ``billing``, so this is
the one seam between them. A receiver that raises rolls the whole operation back.
"""

from django.dispatch import Signal

# Sent with encounter=, by=, reason=, now= whenever a signed encounter's billable facts may
# have changed: signing, an addendum, a same-day provider visit recorded, corrected or
# withdrawn. A receiver may return a sentence saying what it did (what became of the
# claim), which the page that made the change shows.
documentation_changed = Signal()

# Sent with visit= before a provider visit is corrected or withdrawn. A receiver that knows
# the visit may no longer change here (the day's claim was exported) raises
# RefillError saying why.
visit_change_requested = Signal()
