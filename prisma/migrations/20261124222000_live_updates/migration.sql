-- Live updates: every change a caller can see on a job (the job row, or one of its images changing
-- status) is announced on the `darkroom_jobs` channel, whoever made it (API, any worker, maintenance).
-- NOTIFY is delivered at commit, so listeners never see a change that was rolled back. Payload:
-- {"jobId": ..., "userId": ...}. Hand-written: Prisma's schema language has no triggers.

CREATE OR REPLACE FUNCTION darkroom_notify_job_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('darkroom_jobs', json_build_object('jobId', NEW.id, 'userId', NEW.user_id)::text);
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION darkroom_notify_image_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(
    'darkroom_jobs',
    json_build_object('jobId', NEW.job_id, 'userId', (SELECT user_id FROM jobs WHERE id = NEW.job_id))::text
  );
  RETURN NULL;
END
$$;

CREATE TRIGGER jobs_notify_insert AFTER INSERT ON "jobs"
  FOR EACH ROW EXECUTE FUNCTION darkroom_notify_job_changed();

CREATE TRIGGER jobs_notify_update AFTER UPDATE ON "jobs"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION darkroom_notify_job_changed();

CREATE TRIGGER images_notify_status AFTER UPDATE OF "status" ON "images"
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION darkroom_notify_image_changed();
