-- API tokens carry the name their owner gave them on creation (browser sessions have none).
ALTER TABLE sessions ADD COLUMN name TEXT;
