-- Job change notifications say whether a cancel has been requested, so a worker running the job learns
-- of a cancel from the notification itself and need not re-read the job on every change (most changes
-- of a running job are the worker's own stage and progress writes). Payload:
-- {"jobId": ..., "userId": ..., "cancelRequested": true|false}. Hand-written: Prisma has no triggers.

CREATE OR REPLACE FUNCTION darkroom_notify_job_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(
    'darkroom_jobs',
    json_build_object('jobId', NEW.id, 'userId', NEW.user_id, 'cancelRequested', NEW.cancel_requested_at IS NOT NULL)::text
  );
  RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION darkroom_notify_image_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('darkroom_jobs', (
    SELECT json_build_object('jobId', id, 'userId', user_id, 'cancelRequested', cancel_requested_at IS NOT NULL)::text
    FROM jobs WHERE id = NEW.job_id
  ));
  RETURN NULL;
END
$$;
