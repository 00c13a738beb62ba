import { MigrationInterface, QueryRunner } from "typeorm";

export class PhotoIndex1700000100000 implements MigrationInterface {
    transaction = false;

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX CONCURRENTLY "IDX_photo_name" ON "photo" ("name") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "IDX_photo_name"`);
    }
}
