-- CreateTable
CREATE TABLE "provider_catalogs" (
    "provider" TEXT NOT NULL,
    "models" TEXT[],
    "loras" TEXT[],
    "samplers" TEXT[],
    "default_model" TEXT,
    "source" TEXT NOT NULL,
    "worker_id" TEXT NOT NULL,
    "refreshed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "provider_catalogs_pkey" PRIMARY KEY ("provider")
);

-- CreateTable
CREATE TABLE "engine_instances" (
    "worker_id" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "host" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "down_until" TIMESTAMPTZ(3),
    "in_flight" INTEGER NOT NULL,
    "job_ids" TEXT[],
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "engine_instances_pkey" PRIMARY KEY ("worker_id","provider","host")
);

-- CreateIndex
CREATE INDEX "engine_instances_updated_at_idx" ON "engine_instances"("updated_at");

