"""Pure domain logic: no I/O, no storage, no chat. Money, dates, recurrence, reminder
times, calendar files, the budget arithmetic, report figures, FAQ matching, idea fit."""
