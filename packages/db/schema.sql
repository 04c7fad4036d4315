-- The darkroom schema of a fully migrated database (public schema; graphile-worker's and
-- _prisma_migrations left out). Generated from the catalogs by packages/db/src/schema-dump.ts: do not
-- edit. Regenerate with `pnpm --filter @darkroom/db run schema:dump` (`pnpm db:migration` does it);
-- packages/db/src/schema-dump.test.ts fails when this file and the migrations disagree.
-- Function bodies live in packages/db/sql/<name>.sql; here each has its signature and an md5 of its
-- definition, so a changed body shows as a changed line.

CREATE TYPE "CreditEntryKind" AS ENUM (
    'grant',
    'reserve',
    'charge',
    'refund'
);

CREATE TYPE "ImageStatus" AS ENUM (
    'pending',
    'running',
    'succeeded',
    'failed',
    'canceled'
);

CREATE TYPE "JobStage" AS ENUM (
    'references',
    'prompts',
    'generating',
    'storing'
);

CREATE TYPE "JobStatus" AS ENUM (
    'queued',
    'running',
    'succeeded',
    'failed',
    'canceled'
);

CREATE TYPE "Priority" AS ENUM (
    'low',
    'normal',
    'high',
    'urgent'
);

CREATE TYPE "Role" AS ENUM (
    'user',
    'admin'
);

CREATE SEQUENCE credit_entries_id_seq AS bigint START 1 INCREMENT 1 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1; -- owned by credit_entries.id

CREATE SEQUENCE job_events_id_seq AS bigint START 1 INCREMENT 1 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1; -- owned by job_events.id

CREATE TABLE api_keys (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL,
    prefix text NOT NULL,
    hash text NOT NULL,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    last_used_at timestamp(3) with time zone,
    revoked_at timestamp(3) with time zone
);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_pkey PRIMARY KEY (id);
ALTER TABLE api_keys ADD CONSTRAINT api_keys_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE UNIQUE INDEX api_keys_prefix_key ON public.api_keys USING btree (prefix);
CREATE INDEX api_keys_user_id_idx ON public.api_keys USING btree (user_id);
CREATE TRIGGER api_keys_notify_delete AFTER DELETE ON public.api_keys FOR EACH ROW EXECUTE FUNCTION darkroom_notify_api_key_changed();
CREATE TRIGGER api_keys_notify_update AFTER UPDATE ON public.api_keys FOR EACH ROW WHEN (((old.revoked_at IS DISTINCT FROM new.revoked_at) OR (old.hash IS DISTINCT FROM new.hash) OR (old.prefix IS DISTINCT FROM new.prefix) OR (old.user_id IS DISTINCT FROM new.user_id))) EXECUTE FUNCTION darkroom_notify_api_key_changed();

CREATE TABLE collection_images (
    collection_id uuid NOT NULL,
    image_id uuid NOT NULL,
    added_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
ALTER TABLE collection_images ADD CONSTRAINT collection_images_pkey PRIMARY KEY (collection_id, image_id);
ALTER TABLE collection_images ADD CONSTRAINT collection_images_collection_id_fkey FOREIGN KEY (collection_id) REFERENCES collections(id) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE collection_images ADD CONSTRAINT collection_images_image_id_fkey FOREIGN KEY (image_id) REFERENCES images(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX collection_images_collection_id_added_at_idx ON public.collection_images USING btree (collection_id, added_at);
CREATE INDEX collection_images_image_id_idx ON public.collection_images USING btree (image_id);

CREATE TABLE collections (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    name text NOT NULL,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp(3) with time zone NOT NULL
);
ALTER TABLE collections ADD CONSTRAINT collections_pkey PRIMARY KEY (id);
ALTER TABLE collections ADD CONSTRAINT collections_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE UNIQUE INDEX collections_user_id_name_key ON public.collections USING btree (user_id, name);

CREATE TABLE credit_entries (
    id bigint DEFAULT nextval('credit_entries_id_seq'::regclass) NOT NULL,
    user_id uuid NOT NULL,
    job_id uuid,
    kind "CreditEntryKind" NOT NULL,
    amount integer NOT NULL,
    balance_after integer NOT NULL,
    note text,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
ALTER TABLE credit_entries ADD CONSTRAINT credit_entries_pkey PRIMARY KEY (id);
ALTER TABLE credit_entries ADD CONSTRAINT credit_entries_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs(id) ON UPDATE CASCADE ON DELETE SET NULL;
ALTER TABLE credit_entries ADD CONSTRAINT credit_entries_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX credit_entries_job_id_idx ON public.credit_entries USING btree (job_id);
CREATE INDEX credit_entries_user_id_id_idx ON public.credit_entries USING btree (user_id, id);

CREATE TABLE engine_instances (
    worker_id text NOT NULL,
    provider text NOT NULL,
    host text NOT NULL,
    state text NOT NULL,
    down_until timestamp(3) with time zone,
    in_flight integer NOT NULL,
    job_ids text[],
    updated_at timestamp(3) with time zone NOT NULL,
    engine_queue integer
);
ALTER TABLE engine_instances ADD CONSTRAINT engine_instances_pkey PRIMARY KEY (worker_id, provider, host);
CREATE INDEX engine_instances_updated_at_idx ON public.engine_instances USING btree (updated_at);

CREATE TABLE gallery_marks (
    image_id uuid NOT NULL,
    user_id uuid NOT NULL,
    favourite boolean DEFAULT false NOT NULL,
    removed_at timestamp(3) with time zone,
    updated_at timestamp(3) with time zone NOT NULL
);
ALTER TABLE gallery_marks ADD CONSTRAINT gallery_marks_pkey PRIMARY KEY (image_id);
ALTER TABLE gallery_marks ADD CONSTRAINT gallery_marks_image_id_fkey FOREIGN KEY (image_id) REFERENCES images(id) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE gallery_marks ADD CONSTRAINT gallery_marks_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX gallery_marks_user_id_favourite_idx ON public.gallery_marks USING btree (user_id, favourite);

CREATE TABLE image_previews (
    image_id uuid NOT NULL,
    bytes bytea NOT NULL,
    mime text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    updated_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
ALTER TABLE image_previews ADD CONSTRAINT image_previews_pkey PRIMARY KEY (image_id);
ALTER TABLE image_previews ADD CONSTRAINT image_previews_image_id_fkey FOREIGN KEY (image_id) REFERENCES images(id) ON UPDATE CASCADE ON DELETE CASCADE;

CREATE TABLE images (
    id uuid NOT NULL,
    job_id uuid NOT NULL,
    index integer NOT NULL,
    status "ImageStatus" DEFAULT 'pending'::"ImageStatus" NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    prompt text,
    seed integer,
    storage_key text,
    thumbnail_key text,
    mime text,
    width integer,
    height integer,
    bytes integer,
    provider_request_id text,
    error_code text,
    error_message text,
    started_at timestamp(3) with time zone,
    finished_at timestamp(3) with time zone,
    duration_ms integer,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp(3) with time zone NOT NULL,
    palette jsonb,
    provider text,
    version integer DEFAULT 0 NOT NULL,
    model text,
    preview_step integer,
    preview_steps integer,
    preview_version integer DEFAULT 0 NOT NULL,
    progress integer DEFAULT 0 NOT NULL,
    engine_instance text
);
ALTER TABLE images ADD CONSTRAINT images_pkey PRIMARY KEY (id);
ALTER TABLE images ADD CONSTRAINT images_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs(id) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE images ADD CONSTRAINT images_attempts_not_negative CHECK ((attempts >= 0));
ALTER TABLE images ADD CONSTRAINT images_finished_at_when_terminal CHECK (((status = ANY (ARRAY['succeeded'::"ImageStatus", 'failed'::"ImageStatus", 'canceled'::"ImageStatus"])) = (finished_at IS NOT NULL)));
ALTER TABLE images ADD CONSTRAINT images_preview_step_range CHECK (((preview_step IS NULL) OR ((preview_step >= 0) AND ((preview_steps IS NULL) OR (preview_step <= preview_steps)))));
ALTER TABLE images ADD CONSTRAINT images_progress_range CHECK (((progress >= 0) AND (progress <= 100)));
ALTER TABLE images ADD CONSTRAINT images_provider_check CHECK ((provider = ANY (ARRAY['local'::text, 'mock'::text, 'openai'::text, 'stability'::text, 'replicate'::text, 'fal'::text, 'comfyui'::text, 'a1111'::text])));
ALTER TABLE images ADD CONSTRAINT images_started_at_when_running CHECK (((status <> 'running'::"ImageStatus") OR (started_at IS NOT NULL)));
ALTER TABLE images ADD CONSTRAINT images_succeeded_has_file CHECK (((status <> 'succeeded'::"ImageStatus") OR (storage_key IS NOT NULL)));
CREATE UNIQUE INDEX images_job_id_index_key ON public.images USING btree (job_id, index);
CREATE TRIGGER images_bump_version BEFORE UPDATE ON public.images FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION darkroom_bump_version();
CREATE TRIGGER images_notify_status AFTER UPDATE OF status, preview_version ON public.images FOR EACH ROW WHEN (((old.status IS DISTINCT FROM new.status) OR (old.preview_version IS DISTINCT FROM new.preview_version))) EXECUTE FUNCTION darkroom_notify_image_changed();

CREATE TABLE instance_secrets (
    name text NOT NULL,
    value text NOT NULL,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
ALTER TABLE instance_secrets ADD CONSTRAINT instance_secrets_pkey PRIMARY KEY (name);

CREATE TABLE invites (
    id uuid NOT NULL,
    code_hash text NOT NULL,
    prefix text NOT NULL,
    max_uses integer NOT NULL,
    uses integer DEFAULT 0 NOT NULL,
    expires_at timestamp(3) with time zone,
    revoked_at timestamp(3) with time zone,
    created_by_id uuid,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
ALTER TABLE invites ADD CONSTRAINT invites_pkey PRIMARY KEY (id);
ALTER TABLE invites ADD CONSTRAINT invites_created_by_id_fkey FOREIGN KEY (created_by_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE SET NULL;
CREATE UNIQUE INDEX invites_code_hash_key ON public.invites USING btree (code_hash);

CREATE TABLE job_events (
    id bigint DEFAULT nextval('job_events_id_seq'::regclass) NOT NULL,
    job_id uuid NOT NULL,
    type text NOT NULL,
    data jsonb,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);
ALTER TABLE job_events ADD CONSTRAINT job_events_pkey PRIMARY KEY (id);
ALTER TABLE job_events ADD CONSTRAINT job_events_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX job_events_job_id_id_idx ON public.job_events USING btree (job_id, id);
CREATE TRIGGER job_events_webhook AFTER INSERT ON public.job_events FOR EACH ROW WHEN ((new.type = ANY (ARRAY['image_succeeded'::text, 'image_failed'::text, 'progress'::text, 'position'::text]))) EXECUTE FUNCTION darkroom_job_event_webhook();

CREATE TABLE job_inputs (
    id uuid NOT NULL,
    job_id uuid NOT NULL,
    slot text NOT NULL,
    "position" integer NOT NULL,
    role text,
    asset_id uuid,
    image_id uuid,
    storage_key text NOT NULL,
    thumbnail_key text,
    mime text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL
);
ALTER TABLE job_inputs ADD CONSTRAINT job_inputs_pkey PRIMARY KEY (id);
ALTER TABLE job_inputs ADD CONSTRAINT job_inputs_asset_id_fkey FOREIGN KEY (asset_id) REFERENCES "references"(id) ON UPDATE CASCADE ON DELETE SET NULL;
ALTER TABLE job_inputs ADD CONSTRAINT job_inputs_image_id_fkey FOREIGN KEY (image_id) REFERENCES images(id) ON UPDATE CASCADE ON DELETE SET NULL;
ALTER TABLE job_inputs ADD CONSTRAINT job_inputs_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX job_inputs_asset_id_idx ON public.job_inputs USING btree (asset_id);
CREATE INDEX job_inputs_image_id_idx ON public.job_inputs USING btree (image_id);
CREATE UNIQUE INDEX job_inputs_job_id_slot_position_key ON public.job_inputs USING btree (job_id, slot, "position");
CREATE INDEX job_inputs_storage_key_idx ON public.job_inputs USING btree (storage_key);
CREATE INDEX job_inputs_thumbnail_key_idx ON public.job_inputs USING btree (thumbnail_key);

CREATE TABLE jobs (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    batch_id uuid,
    preset text NOT NULL,
    prompt text NOT NULL,
    negative_prompt text,
    style text,
    aspect_ratio text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    seed integer,
    provider text NOT NULL,
    num_images integer NOT NULL,
    priority "Priority" DEFAULT 'normal'::"Priority" NOT NULL,
    status "JobStatus" DEFAULT 'queued'::"JobStatus" NOT NULL,
    stage "JobStage",
    progress integer DEFAULT 0 NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    error_code text,
    error_message text,
    error_retryable boolean,
    idempotency_key text,
    request_hash text,
    project_id text,
    page_id text,
    metadata jsonb,
    "references" jsonb,
    credits_reserved integer DEFAULT 0 NOT NULL,
    credits_charged integer DEFAULT 0 NOT NULL,
    start_by timestamp(3) with time zone,
    deadline timestamp(3) with time zone,
    cancel_requested_at timestamp(3) with time zone,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    started_at timestamp(3) with time zone,
    finished_at timestamp(3) with time zone,
    updated_at timestamp(3) with time zone NOT NULL,
    promoted_at timestamp(3) with time zone,
    queue_rank integer DEFAULT 0 NOT NULL,
    run_timeout_s integer DEFAULT 600 NOT NULL,
    search tsvector,
    credit_price integer DEFAULT 0 NOT NULL,
    output_format text DEFAULT 'png'::text NOT NULL,
    webhook_url text,
    webhook_events text[] DEFAULT ARRAY['job.finished'::text],
    quality text,
    version integer DEFAULT 0 NOT NULL,
    trace_parent text,
    moderation text DEFAULT 'standard'::text NOT NULL,
    model text,
    input_options jsonb,
    kind text DEFAULT 'text-to-image'::text NOT NULL,
    parent_image_id uuid,
    engine_options jsonb,
    not_before timestamp(3) with time zone,
    progress_event_at timestamp(3) with time zone
);
ALTER TABLE jobs ADD CONSTRAINT jobs_pkey PRIMARY KEY (id);
ALTER TABLE jobs ADD CONSTRAINT jobs_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE;
ALTER TABLE jobs ADD CONSTRAINT jobs_aspect_ratio_check CHECK ((aspect_ratio = ANY (ARRAY['1:1'::text, '4:3'::text, '3:4'::text, '3:2'::text, '2:3'::text, '16:9'::text, '9:16'::text])));
ALTER TABLE jobs ADD CONSTRAINT jobs_attempts_not_negative CHECK ((attempts >= 0));
ALTER TABLE jobs ADD CONSTRAINT jobs_credit_price_not_negative CHECK ((credit_price >= 0));
ALTER TABLE jobs ADD CONSTRAINT jobs_credits_charged_not_negative CHECK ((credits_charged >= 0));
ALTER TABLE jobs ADD CONSTRAINT jobs_credits_reserved_not_negative CHECK ((credits_reserved >= 0));
ALTER TABLE jobs ADD CONSTRAINT jobs_credits_reserved_zero_when_terminal CHECK (((status <> ALL (ARRAY['succeeded'::"JobStatus", 'failed'::"JobStatus", 'canceled'::"JobStatus"])) OR (credits_reserved = 0)));
ALTER TABLE jobs ADD CONSTRAINT jobs_finished_at_when_terminal CHECK (((status = ANY (ARRAY['succeeded'::"JobStatus", 'failed'::"JobStatus", 'canceled'::"JobStatus"])) = (finished_at IS NOT NULL)));
ALTER TABLE jobs ADD CONSTRAINT jobs_moderation_check CHECK ((moderation = ANY (ARRAY['strict'::text, 'standard'::text, 'relaxed'::text])));
ALTER TABLE jobs ADD CONSTRAINT jobs_num_images_positive CHECK ((num_images >= 1));
ALTER TABLE jobs ADD CONSTRAINT jobs_output_format_check CHECK ((output_format = ANY (ARRAY['png'::text, 'jpeg'::text, 'webp'::text])));
ALTER TABLE jobs ADD CONSTRAINT jobs_preset_check CHECK ((preset = ANY (ARRAY['coloring-page'::text, 'cover'::text, 'illustration'::text, 'character-reference'::text, 'background'::text, 'photo'::text, 'product-on-model'::text, 'flatlay'::text, 'background-swap'::text])));
ALTER TABLE jobs ADD CONSTRAINT jobs_progress_percent CHECK (((progress >= 0) AND (progress <= 100)));
ALTER TABLE jobs ADD CONSTRAINT jobs_provider_check CHECK ((provider = ANY (ARRAY['local'::text, 'mock'::text, 'openai'::text, 'stability'::text, 'replicate'::text, 'fal'::text, 'comfyui'::text, 'a1111'::text])));
ALTER TABLE jobs ADD CONSTRAINT jobs_quality_check CHECK ((quality = ANY (ARRAY['low'::text, 'medium'::text, 'high'::text])));
ALTER TABLE jobs ADD CONSTRAINT jobs_started_at_when_running CHECK (((status <> 'running'::"JobStatus") OR (started_at IS NOT NULL)));
CREATE INDEX jobs_batch_id_idx ON public.jobs USING btree (batch_id);
CREATE INDEX jobs_search_idx ON public.jobs USING gin (search);
CREATE INDEX jobs_started_at_idx ON public.jobs USING btree (started_at);
CREATE INDEX jobs_status_finished_at_idx ON public.jobs USING btree (status, finished_at);
CREATE INDEX jobs_status_queue_rank_created_at_id_idx ON public.jobs USING btree (status, queue_rank, created_at, id);
CREATE INDEX jobs_user_id_created_at_id_idx ON public.jobs USING btree (user_id, created_at DESC, id DESC);
CREATE INDEX jobs_user_id_finished_at_idx ON public.jobs USING btree (user_id, finished_at DESC);
CREATE UNIQUE INDEX jobs_user_id_idempotency_key_key ON public.jobs USING btree (user_id, idempotency_key);
CREATE INDEX jobs_user_id_status_queue_rank_idx ON public.jobs USING btree (user_id, status, queue_rank);
CREATE TRIGGER jobs_bump_version BEFORE UPDATE ON public.jobs FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION darkroom_bump_version();
CREATE TRIGGER jobs_notify_insert AFTER INSERT ON public.jobs FOR EACH ROW EXECUTE FUNCTION darkroom_notify_job_changed();
CREATE TRIGGER jobs_notify_update AFTER UPDATE ON public.jobs FOR EACH ROW WHEN ((old.* IS DISTINCT FROM new.*)) EXECUTE FUNCTION darkroom_notify_job_changed();
CREATE TRIGGER jobs_progress_event BEFORE UPDATE OF progress ON public.jobs FOR EACH ROW WHEN ((new.progress IS DISTINCT FROM old.progress)) EXECUTE FUNCTION darkroom_progress_event();
CREATE TRIGGER jobs_search_update BEFORE INSERT OR UPDATE OF prompt, style, preset ON public.jobs FOR EACH ROW EXECUTE FUNCTION jobs_search_update();

CREATE TABLE maintenance_cursors (
    name text NOT NULL,
    "position" text NOT NULL,
    updated_at timestamp(3) with time zone NOT NULL
);
ALTER TABLE maintenance_cursors ADD CONSTRAINT maintenance_cursors_pkey PRIMARY KEY (name);

CREATE TABLE provider_catalogs (
    provider text NOT NULL,
    models text[],
    loras text[],
    samplers text[],
    default_model text,
    source text NOT NULL,
    worker_id text NOT NULL,
    refreshed_at timestamp(3) with time zone NOT NULL
);
ALTER TABLE provider_catalogs ADD CONSTRAINT provider_catalogs_pkey PRIMARY KEY (provider);

CREATE TABLE provider_leases (
    provider text NOT NULL,
    slot integer NOT NULL,
    holder text,
    acquired_at timestamp(3) with time zone,
    expires_at timestamp(3) with time zone
);
ALTER TABLE provider_leases ADD CONSTRAINT provider_leases_pkey PRIMARY KEY (provider, slot);

CREATE TABLE rate_limits (
    key character varying(255) NOT NULL,
    points integer DEFAULT 0 NOT NULL,
    expire bigint
);
ALTER TABLE rate_limits ADD CONSTRAINT rate_limits_pkey PRIMARY KEY (key);

CREATE TABLE references (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    storage_key text NOT NULL,
    mime text NOT NULL,
    width integer NOT NULL,
    height integer NOT NULL,
    bytes integer NOT NULL,
    tags text[],
    description text DEFAULT ''::text NOT NULL,
    palette jsonb NOT NULL,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    search tsvector,
    sha256 text,
    thumbnail_key text
);
ALTER TABLE "references" ADD CONSTRAINT references_pkey PRIMARY KEY (id);
ALTER TABLE "references" ADD CONSTRAINT references_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX references_search_idx ON public."references" USING gin (search);
CREATE INDEX references_user_id_created_at_idx ON public."references" USING btree (user_id, created_at);
CREATE UNIQUE INDEX references_user_id_sha256_key ON public."references" USING btree (user_id, sha256);
CREATE TRIGGER references_search_update BEFORE INSERT OR UPDATE OF tags, description ON public."references" FOR EACH ROW EXECUTE FUNCTION references_search_update();

CREATE TABLE sessions (
    id text NOT NULL,
    user_id uuid NOT NULL,
    user_agent text,
    ip text,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    last_seen_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    expires_at timestamp(3) with time zone NOT NULL
);
ALTER TABLE sessions ADD CONSTRAINT sessions_pkey PRIMARY KEY (id);
ALTER TABLE sessions ADD CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX sessions_user_id_idx ON public.sessions USING btree (user_id);

CREATE TABLE users (
    id uuid NOT NULL,
    email text NOT NULL,
    password_hash text,
    role "Role" DEFAULT 'user'::"Role" NOT NULL,
    credit_balance integer DEFAULT 0 NOT NULL,
    created_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp(3) with time zone NOT NULL,
    webhook_secret text,
    invite_id uuid
);
ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
ALTER TABLE users ADD CONSTRAINT users_invite_id_fkey FOREIGN KEY (invite_id) REFERENCES invites(id) ON UPDATE CASCADE ON DELETE SET NULL;
CREATE UNIQUE INDEX users_email_key ON public.users USING btree (email);
CREATE TRIGGER users_notify_delete AFTER DELETE ON public.users FOR EACH ROW EXECUTE FUNCTION darkroom_notify_user_changed();
CREATE TRIGGER users_notify_update AFTER UPDATE OF role, email ON public.users FOR EACH ROW WHEN (((old.role IS DISTINCT FROM new.role) OR (old.email IS DISTINCT FROM new.email))) EXECUTE FUNCTION darkroom_notify_user_changed();

CREATE TABLE webhook_deliveries (
    id uuid NOT NULL,
    job_id uuid NOT NULL,
    message_id text NOT NULL,
    event text NOT NULL,
    url text NOT NULL,
    attempt integer NOT NULL,
    status_code integer,
    error text,
    succeeded boolean DEFAULT false NOT NULL,
    will_retry boolean DEFAULT false NOT NULL,
    started_at timestamp(3) with time zone NOT NULL,
    finished_at timestamp(3) with time zone NOT NULL
);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id);
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs(id) ON UPDATE CASCADE ON DELETE CASCADE;
CREATE INDEX webhook_deliveries_job_id_started_at_idx ON public.webhook_deliveries USING btree (job_id, started_at);

CREATE TABLE worker_heartbeats (
    worker_id text NOT NULL,
    host text NOT NULL,
    pid integer NOT NULL,
    concurrency integer NOT NULL,
    started_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    last_seen_at timestamp(3) with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    graphile_worker_ids text[],
    session_name text
);
ALTER TABLE worker_heartbeats ADD CONSTRAINT worker_heartbeats_pkey PRIMARY KEY (worker_id);
CREATE INDEX worker_heartbeats_last_seen_at_idx ON public.worker_heartbeats USING btree (last_seen_at);

FUNCTION darkroom_accept_job(job jsonb, image_ids uuid[], band integer, band_width integer, active_cap integer, task_max_attempts integer, count_ahead boolean, submits jsonb) RETURNS TABLE(rank integer, accepted_at timestamp with time zone, ahead integer) LANGUAGE plpgsql VOLATILE -- md5 5ef12c3ab220e86beb4b0d518a02c92d, body: packages/db/sql/darkroom_accept_job.sql
FUNCTION darkroom_accept_job_with_inputs(job jsonb, image_ids uuid[], band integer, band_width integer, active_cap integer, task_max_attempts integer, count_ahead boolean, inputs jsonb) RETURNS TABLE(rank integer, accepted_at timestamp with time zone, ahead integer) LANGUAGE plpgsql VOLATILE -- md5 3435f8d41144d724c093e816b65587ec, body: packages/db/sql/darkroom_accept_job_with_inputs.sql
FUNCTION darkroom_bump_version() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 81b589193630eacf07b49d6d1e7941c0, body: packages/db/sql/darkroom_bump_version.sql
FUNCTION darkroom_claim_job(job uuid, worker text, running_cap integer, new_seed integer, webhook_max_attempts integer) RETURNS TABLE(outcome text, queue_rank integer, start_by timestamp with time zone, claimed jobs) LANGUAGE plpgsql VOLATILE -- md5 46050ccf15ef5a086fab239621392799, body: packages/db/sql/darkroom_claim_job.sql
FUNCTION darkroom_end_job(job uuid, ending text, stop_reason text, claim_attempt integer, from_statuses text[], fail_code text, fail_message text, fail_retryable boolean, cancel_reason text, webhook_max_attempts integer, webhook_priority integer) RETURNS TABLE(end_outcome text, end_status text, end_previous text, end_started_at timestamp with time zone, end_finished jsonb) LANGUAGE plpgsql VOLATILE -- md5 0b357d6e95a38c01201fcbffe9184a51, body: packages/db/sql/darkroom_end_job.sql
FUNCTION darkroom_find_references(job uuid, owner uuid, terms text, result_window integer, max_found integer) RETURNS TABLE(source text, id text, palette jsonb, tags text[], rank double precision) LANGUAGE sql STABLE -- md5 74c81afe949d73cc5bf954dbbf81c55d, body: packages/db/sql/darkroom_find_references.sql
FUNCTION darkroom_job_event_webhook() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 1b5d6cf609ae9f940a66abeb1af7ef80, body: packages/db/sql/darkroom_job_event_webhook.sql
FUNCTION darkroom_notify_api_key_changed() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 b66c4e6ba122ba0cceedef39b2c1419c, body: packages/db/sql/darkroom_notify_api_key_changed.sql
FUNCTION darkroom_notify_image_changed() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 bf6f9ba4da4bd1cccfb572d8973f4531, body: packages/db/sql/darkroom_notify_image_changed.sql
FUNCTION darkroom_notify_job_changed() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 9e15426e16ae53b482334e5f32caa6e1, body: packages/db/sql/darkroom_notify_job_changed.sql
FUNCTION darkroom_notify_user_changed() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 21ce1b1b0b2d7e6667bb92b06a21d9ee, body: packages/db/sql/darkroom_notify_user_changed.sql
FUNCTION darkroom_progress_event() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 e6a39aa8109098540b0f90b4d9cde5fd, body: packages/db/sql/darkroom_progress_event.sql
FUNCTION darkroom_queue_place(owner uuid, band integer, band_width integer) RETURNS TABLE(rank integer, ahead integer) LANGUAGE sql STABLE -- md5 cc165042d015864b1fba88173d58835f, body: packages/db/sql/darkroom_queue_place.sql
FUNCTION darkroom_queue_rank(owner uuid, band integer, band_width integer) RETURNS integer LANGUAGE sql STABLE -- md5 a6b7eb4d6d3fa034587b4d0cfe852005, body: packages/db/sql/darkroom_queue_rank.sql
FUNCTION darkroom_reserve_credits(owner uuid, job uuid, amount integer, note text) RETURNS integer LANGUAGE plpgsql VOLATILE -- md5 e53ddf2b5c06c7aa3d680137a32d3943, body: packages/db/sql/darkroom_reserve_credits.sql
FUNCTION darkroom_settle_credits(job uuid) RETURNS TABLE(charged integer, refunded integer) LANGUAGE plpgsql VOLATILE -- md5 6aecd02c090262a5a01d3b490a4ce944, body: packages/db/sql/darkroom_settle_credits.sql
FUNCTION jobs_search_update() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 f72521ae2b0c17dbe2fe596ff7199b4a, body: packages/db/sql/jobs_search_update.sql
FUNCTION references_search_update() RETURNS trigger LANGUAGE plpgsql VOLATILE -- md5 7254dee6b205d4516eaf1950f00ca171, body: packages/db/sql/references_search_update.sql
