-- Failed sign-ins are counted from the audit log, so every instance on a shared store
-- locks a guessed login out after the same number of tries (issue #13). Partial indexes:
-- the statements name these actions as written here.
CREATE INDEX audit_log_refused_login ON audit_log (target, id) WHERE action = 'login refused';
CREATE INDEX audit_log_refused_origin ON audit_log (origin, id) WHERE action = 'login refused';
CREATE INDEX audit_log_login ON audit_log (target, id) WHERE action = 'login';
