-- CreateTable
CREATE TABLE "maintenance_cursors" (
    "name" TEXT NOT NULL,
    "position" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "maintenance_cursors_pkey" PRIMARY KEY ("name")
);

