"""`bpcourse grade`: intake, workspace, the per-notebook pipeline, the journal and the reports."""
