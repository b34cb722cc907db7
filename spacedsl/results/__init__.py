"""What people look at after a search: parameter importance, plots and the HTML report.

`study` reads a result or a store; `surrogate` fits the random forest and does the functional
ANOVA; `importance`, `plot` and `report` are what users call (as `spacedsl.importance`,
`spacedsl.plot` and `spacedsl.write_report`); `cli` is ``spacedsl report``.
"""
