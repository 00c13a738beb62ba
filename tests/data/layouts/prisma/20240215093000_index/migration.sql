-- CreateIndex
CREATE INDEX CONCURRENTLY "User_id_idx" ON "User"("id");
