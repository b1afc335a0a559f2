-- PostgreSQL notifies servers of access changes with triggers (see its
-- migration of the same name). SQLite has no notifications: a server sees
-- its own writes at once and other processes' within the fact cache's
-- bound. Kept so that both dialects list the same migrations.
SELECT 1;
