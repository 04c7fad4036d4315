-- AlterTable
ALTER TABLE "jobs" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "images" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;


-- Hand-written: Prisma's schema language has no triggers. Every change of a job or image row bumps its
-- `version`, whoever writes it (API, worker, plpgsql, maintenance). A job's view carries the job's
-- version plus its images' (images are never deleted while their job lives), so of two views of one job
-- the newer one never has the smaller version: a client that holds a view from the live stream can
-- refuse an older one that arrives after it (a mutation's answer, a poll that crossed it).
CREATE OR REPLACE FUNCTION darkroom_bump_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.version := OLD.version + 1;
  RETURN NEW;
END
$$;

CREATE TRIGGER jobs_bump_version BEFORE UPDATE ON "jobs"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION darkroom_bump_version();

CREATE TRIGGER images_bump_version BEFORE UPDATE ON "images"
  FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION darkroom_bump_version();
