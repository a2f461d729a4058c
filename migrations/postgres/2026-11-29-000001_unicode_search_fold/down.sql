-- Same version as SQLite's Unicode search fold. Nothing to do here: lower() folds Unicode in a
-- database created with a UTF-8 locale (docs/DEPLOY.md), which the search columns already use.
SELECT 1;
