"""`python -m tools.bench`: how the app behaves as its work grows.

A development tool, not part of the shipped app (it needs pyx12's validator, the test
client and the development settings). `data` builds synthetic rows in bulk; `measure`
takes each figure several times beside a baseline measured in the same run; `run` parses
the options and prints the table.

Everything runs in one transaction that is rolled back at the end: the database is left as
it was found. With ``--keep`` (PostgreSQL, a scratch database with no claims) the data is
committed instead, vacuumed and analysed, and the queue measured a second time, as a live
database answers once autovacuum has set the visibility map: those rows say "committed and
vacuumed". Figures are printed, never asserted.
"""
