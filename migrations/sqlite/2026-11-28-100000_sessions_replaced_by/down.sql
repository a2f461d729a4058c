DROP INDEX sessions_replaced_by;
