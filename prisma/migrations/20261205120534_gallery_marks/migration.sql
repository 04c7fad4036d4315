-- CreateTable
CREATE TABLE "gallery_marks" (
    "image_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "favourite" BOOLEAN NOT NULL DEFAULT false,
    "removed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "gallery_marks_pkey" PRIMARY KEY ("image_id")
);

-- CreateIndex
CREATE INDEX "gallery_marks_user_id_favourite_idx" ON "gallery_marks"("user_id", "favourite");

-- AddForeignKey
ALTER TABLE "gallery_marks" ADD CONSTRAINT "gallery_marks_image_id_fkey" FOREIGN KEY ("image_id") REFERENCES "images"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "gallery_marks" ADD CONSTRAINT "gallery_marks_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

